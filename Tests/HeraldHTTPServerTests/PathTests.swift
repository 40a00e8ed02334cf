import Foundation
import HeraldCore
import HeraldHTTPServer
import Testing

@Suite struct PathTests {
    /// Routes `/metrics` exactly, as Intake does.
    private let router = TestHandler { request in
        request.path == "/metrics"
            ? .respond(.json(200, #"{"metrics":true}"#)) : .respond(.error(404, code: "not_found", message: "no such path"))
    }

    /// A proxy rule for `/metrics` sees these raw paths and lets them through: Herald must
    /// not turn them into `/metrics` (percent-decoding, cutting at NUL).
    @Test(arguments: ["/%6detrics", "/metrics%00", "/metrics%00.css", "/%2Fmetrics", "/metrics%2F", "/Metrics"])
    func encodedFormsOfAPathAreOtherPaths(_ path: String) throws {
        let server = try startServer(router)
        defer { server.stop(drainSeconds: 1) }
        #expect(try get(server.port, path)?.status == 404)
        #expect(router.requests.last?.path == path)
    }

    @Test func thePathItselfAndItsQueryWork() throws {
        let server = try startServer(router)
        defer { server.stop(drainSeconds: 1) }
        #expect(try get(server.port, "/metrics")?.status == 200)
        #expect(try get(server.port, "/metrics?name=%41&x")?.status == 200)
        #expect(router.requests.map(\.path) == ["/metrics", "/metrics"])
    }

    @Test func aNulByteInTheRequestLineIsRejected() throws {
        let server = try startServer(router)
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port, timeout: 3)
        socket.send(Array("GET /metrics".utf8) + [0] + Array("/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let response = try #require(socket.readResponse())
        #expect(response.status == 400)
        #expect(router.requests.isEmpty)
    }
}
