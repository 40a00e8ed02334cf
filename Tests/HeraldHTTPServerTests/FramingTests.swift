import Foundation
import HeraldCore
import HeraldHTTPServer
import Testing

/// A second request hidden after the first one's body, as a front proxy that frames by the
/// other header would see it.
private let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

@Suite struct FramingTests {
    /// Sends `request`, reads the one answer, and checks the connection then closes with
    /// nothing more, and the handler saw neither request.
    private func expectRejectedAndClosed(_ request: String, status: Int, code: String) throws {
        let handler = TestHandler()
        let server = try startServer(handler)
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port, timeout: 3)
        socket.send(request)
        let response = try #require(socket.readResponse())
        #expect(response.status == status)
        #expect(response.text.contains("\"error\":\"\(code)\""))
        #expect(response.header("connection") == "close")
        #expect(socket.readToEnd().isEmpty)
        #expect(socket.closedByPeer)
        // Whatever came after is never run, on this connection or any other.
        Thread.sleep(forTimeInterval: 0.1)
        #expect(handler.requests.isEmpty)
        #expect(handler.rejected.map(\.reason) == [code])
    }

    @Test(arguments: [
        "Content-Length: 5\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 5",
        "Transfer-Encoding: chunked\r\nContent-Length: 0",
    ])
    func chunkedWithAContentLengthIsRejected(_ framing: String) throws {
        try expectRejectedAndClosed(
            "POST /in HTTP/1.1\r\nHost: x\r\n\(framing)\r\n\r\n0\r\n\r\n" + smuggled, status: 400, code: "conflicting_framing")
    }

    @Test func differingContentLengthsAreRejected() throws {
        try expectRejectedAndClosed(
            "POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 39\r\n\r\nhello" + smuggled,
            status: 400, code: "conflicting_content_length")
    }

    @Test(arguments: ["gzip, chunked", "deflate,chunked"])
    func unknownCodingsBeforeChunkedAreNotImplemented(_ codings: String) throws {
        try expectRejectedAndClosed(
            "POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(codings)\r\n\r\n0\r\n\r\n" + smuggled,
            status: 501, code: "unsupported_transfer_coding")
    }

    @Test(arguments: ["identity", "chunked, gzip", "chunked\r\nTransfer-Encoding: chunked", "chunked,"])
    func transferEncodingsWithoutAFinalChunkedAreRejected(_ codings: String) throws {
        try expectRejectedAndClosed(
            "POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(codings)\r\n\r\n0\r\n\r\n" + smuggled,
            status: 400, code: "bad_transfer_encoding")
    }

    @Test func repeatedEqualContentLengthsAndPlainChunkedAreFine() throws {
        let handler = TestHandler()
        let server = try startServer(handler)
        defer { server.stop(drainSeconds: 1) }
        let socket = try TestSocket(port: server.port)
        socket.send("POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello")
        #expect(socket.readResponse()?.text == "POST /one 5\n")
        socket.send("POST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        #expect(socket.readResponse()?.text == "POST /two 3\n")
        #expect(handler.requests.map(\.path) == ["/one", "/two"])
    }
}
