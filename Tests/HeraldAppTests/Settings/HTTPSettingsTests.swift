import Foundation
import HeraldCore
import Testing

/// The HTTP server's `http.*` keys as `herald serve` applies them, each set below its
/// default so that an ignored key fails: the body limit, the connection limits, the idle
/// and request timeouts, the event threads.
@Suite(.serialized) struct HTTPSettingsTests {
    func gateway(_ http: String) throws -> ServeGateway {
        try ServeGateway.configured(#"{"http": \#(http)}"#)
    }

    /// The SMS sample with trailing white space (still the same JSON) to `size` bytes.
    func sample(_ size: Int) throws -> [UInt8] {
        let body = try freshFixture("sms.created")
        return body + [UInt8](repeating: 0x20, count: max(0, size - body.count))
    }

    @Test func maxBodyBytesIsTheLimit() throws {
        let gateway = try gateway(#"{"max_body_bytes": 2000}"#)
        #expect(try gateway.post(body: try sample(2000)) == 200)
        #expect(try gateway.post(body: try sample(2001)) == 413)
        #expect(gateway.stop() == 0)
    }

    /// Four slots in all: four idle connections leave no room, so those idle past a second are
    /// cut for new clients (with the default 1,024 they wait out the 10 s request deadline).
    @Test func connectionLimitMakesRoomNearIt() throws {
        let gateway = try gateway(#"{"connection_limit": 4}"#)
        let started = Date()
        let idle = try (0..<4).map { _ in try RawConnection(port: gateway.port) }
        #expect(idle.allSatisfy { $0.closes(within: 5) })
        #expect(Date().timeIntervalSince(started) > 0.8)
        #expect(try RawConnection(port: gateway.port).healthz())
        #expect(gateway.stop() == 0)
    }

    @Test func perIPConnectionLimitIsPerAddress() throws {
        let gateway = try gateway(#"{"per_ip_connection_limit": 2}"#)
        let held = try (0..<2).map { _ in try RawConnection(port: gateway.port, from: "127.0.0.2") }
        #expect(held.allSatisfy { $0.healthz() })
        let third = try RawConnection(port: gateway.port, from: "127.0.0.2")
        #expect(!third.healthz(timeout: 2))
        #expect(third.closed)
        // Another address has its own share.
        #expect(try RawConnection(port: gateway.port).healthz())
        #expect(gateway.stop() == 0)
    }

    @Test func connectionTimeoutClosesIdleConnections() throws {
        let gateway = try gateway(#"{"connection_timeout_seconds": 1}"#)
        let connection = try RawConnection(port: gateway.port)
        #expect(connection.healthz())
        let answered = Date()
        #expect(connection.closes(within: 5))
        let idle = Date().timeIntervalSince(answered)
        #expect(idle > 0.5 && idle < 4, "closed after \(idle) s")
        #expect(gateway.stop() == 0)
    }

    /// A request trickling in a byte every 100 ms (never idle) is cut at its deadline.
    @Test func requestTimeoutIsTheTimeARequestHasToArrive() throws {
        let gateway = try gateway(#"{"request_timeout_seconds": 1}"#)
        let connection = try RawConnection(port: gateway.port)
        let started = Date()
        connection.send("POST /webhooks/clerk HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ")
        while !connection.closed && Date().timeIntervalSince(started) < 6 {
            if !connection.send("a") { break }
            connection.read(for: 0.1)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(connection.closed || !connection.send("a"))
        #expect(elapsed > 0.8 && elapsed < 4, "cut after \(elapsed) s")
        #expect(gateway.stop() == 0)
    }

    @Test func threadsIsTheNumberOfEventThreads() throws {
        // One more than the default (one per core, at least two).
        let threads = max(2, ProcessInfo.processInfo.activeProcessorCount) + 1
        let gateway = try gateway(#"{"threads": \#(threads)}"#)
        #expect(gateway.child.waitFor(timeout: 5) { _ in gateway.threadNames.filter { $0 == "MHD-worker" }.count == threads })
        #expect(gateway.stop() == 0)
    }
}
