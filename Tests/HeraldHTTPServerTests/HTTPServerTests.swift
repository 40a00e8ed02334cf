import Foundation
import HeraldCore
import HeraldHTTPServer
import Synchronization
import Testing

@Suite struct HTTPServerTests {
    @Test func getAndHeadOnOneKeptAliveConnection() throws {
        let handler = TestHandler()
        let server = try startServer(handler)
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        socket.send("GET /a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Thing: One\r\n\r\n")
        let first = try #require(socket.readResponse())
        #expect(first.status == 200)
        #expect(first.text == "GET /a/b 0\n")
        #expect(first.header("content-type") == "text/plain")
        socket.send("HEAD /c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let second = try #require(socket.readResponse(head: true))
        #expect(second.status == 200)
        #expect(second.header("content-length") == "10")  // "HEAD /c 0\n", not sent
        socket.send("GET /d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let third = try #require(socket.readResponse())
        #expect(third.text == "GET /d 0\n")
        #expect(socket.readToEnd().isEmpty)
        let seen = handler.requests
        #expect(seen.map(\.method) == ["GET", "HEAD", "GET"])
        #expect(seen.first?.header("X-Thing") == "One")
        #expect(seen.first?.remoteAddress == "127.0.0.1")
    }

    @Test func bodyWithContentLengthReachesTheHandler() throws {
        let handler = TestHandler()
        let server = try startServer(handler) { $0.maxBodyBytes = 4096 }
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        let body = [UInt8](repeating: UInt8(ascii: "z"), count: 4096)
        socket.send(Array("POST /in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4096\r\n\r\n".utf8) + body)
        #expect(socket.readResponse()?.text == "POST /in 4096\n")
        #expect(handler.requests.first?.body == body)
    }

    @Test func laterAnswersArriveAndASecondAnswerIsIgnored() throws {
        let handler = TestHandler { request in
            .later { respond in
                Thread {
                    Thread.sleep(forTimeInterval: 0.05)
                    respond(.json(202, #"{"later":true}"#))
                    respond(.json(500, #"{"twice":true}"#))
                }.start()
            }
        }
        let server = try startServer(handler)
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        for _ in 0..<3 {
            socket.send("POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi")
            let response = try #require(socket.readResponse())
            #expect(response.status == 202)
            #expect(response.text == "{\"later\":true}\n")
        }
        #expect(eventually { server.requestsInFlight == 0 })
    }

    @Test func chunkedBodiesAreLimitedToo() throws {
        let handler = TestHandler()
        let server = try startServer(handler) { $0.maxBodyBytes = 1024 }
        defer { server.stop(drainSeconds: 1) }
        func chunked(_ sizes: [Int]) -> [UInt8] {
            var request = Array("POST /c HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for size in sizes {
                request += Array("\(String(size, radix: 16))\r\n".utf8) + [UInt8](repeating: 0x61, count: size) + Array("\r\n".utf8)
            }
            return request + Array("0\r\n\r\n".utf8)
        }
        let small = try TestSocket(port: server.port)
        small.send(chunked([500, 524]))
        #expect(small.readResponse()?.text == "POST /c 1024\n")
        let large = try TestSocket(port: server.port)
        large.send(chunked([600, 600, 600]))
        let response = try #require(large.readResponse())
        #expect(response.status == 413)
        #expect(response.text.contains("payload_too_large"))
        #expect(handler.requests.count == 1)
        #expect(handler.rejected.map(\.reason) == ["payload_too_large"])
    }

    @Test func connectionsArePerAddressLimited() throws {
        let server = try startServer { $0.perIPConnectionLimit = 3 }
        defer { server.stop(drainSeconds: 1) }
        // Three connections from 127.0.0.2 hold its share (each proven accepted by an answer).
        let held = try (0..<3).map { _ in try TestSocket(port: server.port, from: "127.0.0.2") }
        for socket in held {
            socket.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(socket.readResponse()?.status == 200)
        }
        let refused = try TestSocket(port: server.port, from: "127.0.0.2", timeout: 2)
        refused.send("GET /more HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(refused.readResponse() == nil)
        #expect(refused.closedByPeer)
        // Another address is not affected.
        #expect(try get(server.port, "/other")?.status == 200)
        // A slot given back is available again.
        held[0].send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _ = held[0].readToEnd()
        #expect(eventually {
            guard let again = try? TestSocket(port: server.port, from: "127.0.0.2", timeout: 2) else { return false }
            again.send("GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return again.readResponse()?.status == 200
        })
    }

    @Test func idleConnectionsTimeOut() throws {
        let server = try startServer { $0.connectionTimeoutSeconds = 1 }
        defer { server.stop(drainSeconds: 1) }
        let silent = try TestSocket(port: server.port)
        let kept = try TestSocket(port: server.port)
        kept.send("GET /once HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(kept.readResponse()?.status == 200)
        let started = Date()
        #expect(silent.closesWithin(4))
        #expect(kept.closesWithin(4))
        #expect(Date().timeIntervalSince(started) >= 0.5)
    }
}
