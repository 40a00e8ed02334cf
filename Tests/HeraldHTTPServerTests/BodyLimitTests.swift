import Foundation
import HeraldCore
import HeraldHTTPServer
import Testing

@Suite struct BodyLimitTests {
    /// Svix sends the whole body before it reads: it must read the 413, not a reset
    /// (or it retries a body that can never fit).
    @Test func aSenderThatWritesTheWholeOversizedBodyFirstReads413() throws {
        let handler = TestHandler()
        let server = try startServer(handler)  // 1 MiB limit
        defer { server.stop(drainSeconds: 1) }
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 2 << 20)
        for attempt in 0..<5 {
            let socket = try TestSocket(port: server.port)
            let sent = socket.send(Array("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            let response = socket.readResponse()
            #expect(sent, "attempt \(attempt): the server stopped reading")
            #expect(response?.status == 413, "attempt \(attempt)")
            #expect(response?.text.contains("payload_too_large") == true)
        }
        #expect(handler.requests.isEmpty)
        #expect(handler.rejected.count == 5)
    }

    @Test func aSenderThatAsksFirstGets413WithoutSendingTheBody() throws {
        let server = try startServer { $0.maxBodyBytes = 1000 }
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port, timeout: 3)
        socket.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try #require(socket.readResponse())
        #expect(response.status == 413)
    }

    @Test func aBodyFarOverTheLimitIsRefusedAtOnce() throws {
        let server = try startServer { $0.maxBodyBytes = 1000 }
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port, timeout: 3)
        // Announced, not sent: the server does not wait for (or read) a gigabyte.
        socket.send("POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        let response = try #require(socket.readResponse())
        #expect(response.status == 413)
        #expect(socket.closesWithin(2))
    }
}
