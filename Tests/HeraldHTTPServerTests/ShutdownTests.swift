import Foundation
import HeraldCore
import HeraldHTTPServer
import Synchronization
import Testing

/// Completions a `.later` handler kept instead of calling them.
final class HeldAnswers: Sendable {
    private let held = Mutex<[@Sendable (HTTPResponse) -> Void]>([])
    func keep(_ respond: @escaping @Sendable (HTTPResponse) -> Void) { held.withLock { $0.append(respond) } }
    var all: [@Sendable (HTTPResponse) -> Void] { held.withLock { $0 } }
}

@Suite struct ShutdownTests {
    @Test func stopAnswersRequestsStillWaiting503AndLateAnswersAreHarmless() throws {
        let held = HeldAnswers()
        let handler = TestHandler { _ in .later { respond in held.keep(respond) } }
        let server = try startServer(handler)
        let sockets = try (0..<3).map { _ in try TestSocket(port: server.port) }
        for socket in sockets {
            socket.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        }
        #expect(eventually { server.requestsInFlight == 3 })
        let started = Date()
        // Before: libmicrohttpd aborted the process here (suspended connections at stop).
        server.stop(drainSeconds: 0.2)
        #expect(Date().timeIntervalSince(started) < 3)
        for socket in sockets {
            let response = try #require(socket.readResponse())
            #expect(response.status == 503)
            #expect(response.header("retry-after") != nil)
            #expect(response.header("content-type") == "application/json")
            #expect(response.text.contains(#""error":"shutting_down""#))
            #expect(socket.readToEnd().isEmpty)
        }
        #expect(server.requestsInFlight == 0)
        #expect(handler.rejected.map(\.reason) == ["shutting_down", "shutting_down", "shutting_down"])
        // The store commit finishing after the deadline: nothing happens, nothing crashes.
        for respond in held.all { respond(.json(200, "{}")) }
    }

    @Test func answersReadyWithinTheDrainAreSent() throws {
        let handler = TestHandler { _ in
            .later { respond in
                Thread {
                    Thread.sleep(forTimeInterval: 0.2)
                    respond(.json(200, #"{"stored":true}"#))
                }.start()
            }
        }
        let server = try startServer(handler)
        let socket = try TestSocket(port: server.port)
        socket.send("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        #expect(eventually { server.requestsInFlight == 1 })
        server.stop(drainSeconds: 5)
        let response = try #require(socket.readResponse())
        #expect(response.status == 200)
        #expect(response.text == "{\"stored\":true}\n")
    }

    @Test func stopWithNothingWaitingIsQuickAndRepeatable() throws {
        let server = try startServer()
        #expect(try get(server.port, "/")?.status == 200)
        let started = Date()
        server.stop()
        server.stop()
        #expect(Date().timeIntervalSince(started) < 1)
    }
}
