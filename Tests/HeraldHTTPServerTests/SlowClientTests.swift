import Foundation
import HeraldCore
import HeraldHTTPServer
import Synchronization
import Testing

/// Connections that send a request one byte at a time and never finish it, from a thread
/// of their own (one byte per connection every `interval`).
final class Tricklers: Sendable {
    private let sockets: Mutex<[TestSocket]>
    private let stopped = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)

    init(_ sockets: [TestSocket], interval: Double) {
        for socket in sockets { socket.send("POST /slow HTTP/1.1\r\nHost: x\r\nX-Pad: ") }
        self.sockets = Mutex(sockets)
        Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                self.sockets.withLock { list in for socket in list { _ = socket.trickle(UInt8(ascii: "a")) } }
                Thread.sleep(forTimeInterval: interval)
            }
            done.store(true, ordering: .releasing)
        }.start()
    }

    /// Stops trickling and closes every connection.
    func stop() {
        stopped.store(true, ordering: .releasing)
        while !done.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.01) }
        sockets.withLock { $0 = [] }
    }
}

extension TestSocket: @unchecked Sendable {}

@Suite struct SlowClientTests {
    @Test func aRequestTricklingItsHeadersIsCutAtTheDeadline() throws {
        let server = try startServer {
            $0.requestTimeoutSeconds = 1
            $0.connectionTimeoutSeconds = 30
        }
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        socket.send("POST /slow HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        let started = Date()
        var cut = false
        // Never idle: a byte every 100 ms, far inside the 30 s idle timeout.
        while !cut && Date().timeIntervalSince(started) < 5 {
            cut = !socket.trickle(UInt8(ascii: "a")) || socket.closesWithin(0.1)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(cut)
        #expect(elapsed > 0.8 && elapsed < 3, "cut after \(elapsed) s")
        #expect(server.connectionsCut == 1)
    }

    @Test func aBodyTricklingInIsCutAtTheDeadline() throws {
        let handler = TestHandler()
        let server = try startServer(handler) { $0.requestTimeoutSeconds = 1 }
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        socket.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        let started = Date()
        var cut = false
        while !cut && Date().timeIntervalSince(started) < 5 {
            cut = !socket.trickle(UInt8(ascii: "b")) || socket.closesWithin(0.1)
        }
        #expect(cut)
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(handler.requests.isEmpty)
    }

    @Test func aKeptAliveConnectionGetsTheDeadlineForEachRequest() throws {
        let server = try startServer { $0.requestTimeoutSeconds = 1 }
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        // Prompt requests 0.6 s apart: together longer than the deadline, each well inside it.
        for _ in 0..<3 {
            socket.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(socket.readResponse()?.status == 200)
            Thread.sleep(forTimeInterval: 0.6)
        }
        socket.send("GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: ")
        let started = Date()
        var cut = false
        while !cut && Date().timeIntervalSince(started) < 5 {
            cut = !socket.trickle(UInt8(ascii: "a")) || socket.closesWithin(0.1)
        }
        #expect(cut)
        #expect(Date().timeIntervalSince(started) < 3)
    }

    /// Measured before: 1,200 such connections from 4 addresses filled the 1,024 slots, and
    /// genuine webhooks waited for ever.
    @Test func slowConnectionsFromFourAddressesLeaveRoomForOthers() throws {
        raiseOpenFileLimit(to: 4096)
        let server = try startServer()  // the defaults, but for the port
        defer { server.stop(drainSeconds: 1) }
        var sockets: [TestSocket] = []
        for index in 0..<1200 {
            sockets.append(try TestSocket(port: server.port, from: "127.0.0.\(2 + index % 4)", timeout: 3))
        }
        let tricklers = Tricklers(sockets, interval: 0.5)
        defer { tricklers.stop() }
        sockets = []
        Thread.sleep(forTimeInterval: 0.2)
        let started = Date()
        let response = try get(server.port, "/genuine")
        let elapsed = Date().timeIntervalSince(started)
        #expect(response?.status == 200)
        #expect(elapsed < 1, "answered after \(elapsed) s")
    }

    /// When every slot is taken (here by slow requests from addresses each within its share),
    /// the oldest unfinished requests are cut long before their deadline to make room.
    @Test func underPressureSlowRequestsMakeRoom() throws {
        let server = try startServer {
            $0.connectionLimit = 32
            $0.perIPConnectionLimit = 16
        }
        defer { server.stop(drainSeconds: 1) }
        var sockets: [TestSocket] = []
        for index in 0..<32 {
            sockets.append(try TestSocket(port: server.port, from: "127.0.0.\(2 + index % 2)", timeout: 3))
        }
        let tricklers = Tricklers(sockets, interval: 0.2)
        defer { tricklers.stop() }
        sockets = []
        Thread.sleep(forTimeInterval: 0.2)
        let started = Date()
        let socket = try TestSocket(port: server.port, timeout: 5)
        socket.send("GET /genuine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = socket.readResponse()
        let elapsed = Date().timeIntervalSince(started)
        #expect(response?.status == 200)
        #expect(elapsed < 3, "answered after \(elapsed) s (the deadline is 10 s)")
    }
}
