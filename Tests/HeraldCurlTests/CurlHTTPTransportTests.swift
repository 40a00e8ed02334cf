import Foundation
import HeraldCore
@testable import HeraldCurl
import HeraldTestSupport
import Testing

/// The libcurl transport every HTTP provider shares, against servers on 127.0.0.1: what it
/// sends, what it reads back, that it keeps its connection, and what each way of failing
/// becomes.
@Suite struct CurlHTTPTransportTests {
    /// Every byte value, NUL and CR/LF among them, and more than one buffer's worth.
    static let binaryBody: [UInt8] = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }

    func transport(_ configure: (inout HTTPTransportSettings) -> Void = { _ in }) throws -> CurlHTTPTransport {
        var settings = HTTPTransportSettings()
        settings.totalTimeoutMilliseconds = 10_000
        configure(&settings)
        return try CurlHTTPTransport(settings: settings)
    }

    func answered(_ exchange: Exchange, sourceLocation: SourceLocation = #_sourceLocation) -> HTTPAnswer? {
        guard case .answered(let answer) = exchange else {
            Issue.record("no answer: \(exchange)", sourceLocation: sourceLocation)
            return nil
        }
        return answer
    }

    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE"])
    func methodsWithABodyArriveIntact(_ method: String) throws {
        let double = try ProviderDouble { request in
            .respond(HTTPResponse(status: 201, headers: ["Content-Type": "application/octet-stream"], body: request.body))
        }
        defer { double.stop() }
        let exchange = try transport().perform(OutboundRequest(
            method: method, url: "\(double.endpoint)/v1/things/42", headers: [HTTPField("Content-Type", "application/octet-stream")],
            body: Self.binaryBody))
        let answer = try #require(answered(exchange))
        #expect(answer.status == 201)
        #expect(answer.body == Self.binaryBody)
        let request = try #require(double.requests.first)
        #expect(double.requests.count == 1)
        #expect(request.method == method)
        #expect(request.path == "/v1/things/42")
        #expect(request.body == Self.binaryBody)
        #expect(request.header("content-length") == String(Self.binaryBody.count))
    }

    @Test func anEmptyBodyIsSentAsAnEmptyBody() throws {
        let double = try ProviderDouble { request in .respond(HTTPResponse(status: 204)) }
        defer { double.stop() }
        let exchange = try transport().perform(OutboundRequest(method: "POST", url: "\(double.endpoint)/empty"))
        #expect(answered(exchange)?.status == 204)
        #expect(double.requests.first?.header("content-length") == "0")
        #expect(double.requests.first?.body == [])
    }

    @Test func getAndHeadAfterABodyCarryNone() throws {
        let double = try ProviderDouble { request in
            .respond(HTTPResponse(status: 200, headers: ["X-Method": request.method], body: Array("\(request.method) \(request.body.count)".utf8)))
        }
        defer { double.stop() }
        // One handle for all three: a POST's body and method must not leak into the next request.
        let transport = try transport()
        #expect(answered(transport.perform(OutboundRequest(method: "POST", url: "\(double.endpoint)/a", body: [1, 2, 3])))?.text == "POST 3")
        let get = try #require(answered(transport.perform(OutboundRequest(method: "GET", url: "\(double.endpoint)/b"))))
        #expect(get.text == "GET 0")
        let head = try #require(answered(transport.perform(OutboundRequest(method: "HEAD", url: "\(double.endpoint)/c"))))
        #expect(head.status == 200)
        #expect(head.headers[field: "x-method"] == "HEAD")
        #expect(head.body.isEmpty)
        #expect(answered(transport.perform(OutboundRequest(method: "DELETE", url: "\(double.endpoint)/d")))?.text == "DELETE 0")
        #expect(double.requests.map(\.method) == ["POST", "GET", "HEAD", "DELETE"])
        #expect(double.requests.map(\.body.count) == [3, 0, 0, 0])
    }

    @Test func requestHeadersLeaveAsGivenRepeatedAndInTheirCase() throws {
        let server = try WireServer()
        defer { server.stop() }
        let headers = [
            HTTPField("X-Request-ID", "abc-1"), HTTPField("x-multi", "one"), HTTPField("X-Multi", "two"),
            HTTPField("Authorization", "Bearer t0ken"), HTTPField("Content-Type", "application/json"),
        ]
        let exchange = try transport().perform(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/send", headers: headers, body: Array("{}".utf8)))
        #expect(answered(exchange)?.status == 200)
        let request = try #require(server.requests.first)
        #expect(request.head.first == "POST /send HTTP/1.1")
        let sent = request.fields.filter { field in headers.contains { $0.name == field.name } }
        #expect(sent.map { "\($0.name): \($0.value)" } == headers.map { "\($0.name): \($0.value)" })
        #expect(request.fields.first { $0.name == "User-Agent" }?.value == "Herald")
        // No "Expect: 100-continue" wait, whatever the body's size.
        #expect(!request.fields.contains { $0.name.lowercased() == "expect" })
    }

    @Test func responseHeadersComeBackRepeatedInOrderAndInTheirCase() throws {
        let server = try WireServer { _ in
            // A 100 Continue first, with a header of its own that must not stay.
            var answer = WireServer.Answer.http(
                200, [("X-RateLimit-Remaining", "7"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("x-lower", "v")], body: "{}")
            answer.bytes = Array("HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n".utf8) + answer.bytes
            return answer
        }
        defer { server.stop() }
        let answer = try #require(answered(try transport().perform(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/"))))
        #expect(answer.status == 200)
        #expect(answer.headers == [
            HTTPField("X-RateLimit-Remaining", "7"), HTTPField("Set-Cookie", "a=1"), HTTPField("set-cookie", "b=2"),
            HTTPField("x-lower", "v"), HTTPField("Content-Length", "2"),
        ])
        #expect(answer.headers[field: "x-ratelimit-remaining"] == "7")
        #expect(answer.headers[field: "SET-COOKIE"] == "a=1")
        #expect(answer.text == "{}")
    }

    @Test func oneTransportKeepsOneConnectionAcrossRequests() throws {
        let server = try WireServer()
        defer { server.stop() }
        let first = try transport()
        for index in 0..<5 {
            let method = index % 2 == 0 ? "POST" : "GET"
            #expect(answered(first.perform(OutboundRequest(method: method, url: "http://127.0.0.1:\(server.port)/\(index)", body: method == "POST" ? [7] : [])))?.status == 200)
        }
        #expect(server.connections == 1)
        #expect(Set(server.requests.map(\.connection)) == [0])
        // Another transport (another worker) has a connection of its own.
        #expect(answered(try transport().perform(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/other")))?.status == 200)
        #expect(server.connections == 2)
    }

    @Test func aConnectionTheServerClosedIsReplacedWithoutAFailure() throws {
        let server = try WireServer { request in
            var answer = WireServer.Answer.http(200, [("Connection", "close")], body: "bye")
            answer.close = true
            return answer
        }
        defer { server.stop() }
        let transport = try transport()
        for _ in 0..<3 { #expect(answered(transport.perform(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/")))?.text == "bye") }
        #expect(server.connections == 3)
    }

    @Test func redirectsAreNotFollowed() throws {
        let server = try WireServer { _ in .http(302, [("Location", "/elsewhere")]) }
        defer { server.stop() }
        let answer = try #require(answered(try transport().perform(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/send", body: [1]))))
        #expect(answer.status == 302)
        #expect(answer.headers[field: "location"] == "/elsewhere")
        #expect(server.requests.count == 1)
    }

    @Test func anAnswerOverTheCapIsResponseTooLarge() throws {
        let double = try ProviderDouble { request in
            .respond(HTTPResponse(status: 200, body: [UInt8](repeating: 0x61, count: Int(request.path.dropFirst()) ?? 0)))
        }
        defer { double.stop() }
        let transport = try transport { $0.maxResponseBytes = 4096 }
        #expect(answered(transport.perform(OutboundRequest(method: "GET", url: "\(double.endpoint)/4096")))?.body.count == 4096)
        #expect(transport.perform(OutboundRequest(method: "GET", url: "\(double.endpoint)/4097")) == .failed(.responseTooLarge))
        #expect(transport.perform(OutboundRequest(method: "GET", url: "\(double.endpoint)/2000000")) == .failed(.responseTooLarge))
        // The handle is still good afterwards.
        #expect(answered(transport.perform(OutboundRequest(method: "GET", url: "\(double.endpoint)/10")))?.body.count == 10)
    }

    @Test func headersOverTheirCapAreResponseTooLarge() throws {
        let big = String(repeating: "h", count: 8000)
        let server = try WireServer { _ in .http(200, (0..<40).map { ("X-Big-\($0)", big) }) }
        defer { server.stop() }
        #expect(try transport().perform(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/")) == .failed(.responseTooLarge))
    }

    @Test func aHangPastTheTimeoutIsATimeoutAfterTheRequestLeft() throws {
        let double = try ProviderDouble { _ in .after(seconds: 5, HTTPResponse(status: 200)) }
        defer { double.stop() }
        let started = Date()
        let exchange = try transport { $0.totalTimeoutMilliseconds = 400 }.perform(
            OutboundRequest(method: "POST", url: "\(double.endpoint)/slow", body: [1, 2, 3]))
        #expect(exchange == .failed(.timeout(afterSend: true)))
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(double.requests.first?.body == [1, 2, 3])  // it had arrived: the provider may act on it
    }

    @Test func anAnswerCutShortIsAConnectionLostAfterSend() throws {
        let server = try WireServer { _ in
            WireServer.Answer(bytes: Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..".utf8), close: true)
        }
        defer { server.stop() }
        #expect(try transport().perform(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/")) == .failed(.connectionLost(afterSend: true)))
    }

    @Test func aClosedPortIsConnect() throws {
        let exchange = try transport().perform(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(try freeLoopbackPort())/", body: [1]))
        #expect(exchange == .failed(.connect))
        #expect(exchange.failure?.mayHaveBeenSent == false)
    }

    @Test func anUnresolvableHostIsResolve() throws {
        // A label over 63 characters: the resolver refuses it without asking any DNS server.
        let host = String(repeating: "a", count: 64) + ".invalid"
        let exchange = try transport().perform(OutboundRequest(method: "POST", url: "http://\(host)/", body: [1]))
        #expect(exchange == .failed(.resolve))
    }

    @Test func aURLOutsideHTTPIsNotSent() throws {
        let exchange = try transport().perform(OutboundRequest(method: "GET", url: "ftp://127.0.0.1:\(try freeLoopbackPort())/file"))
        guard case .failed(.invalidRequest) = exchange else {
            Issue.record("expected invalidRequest, got \(exchange)")
            return
        }
    }

    @Test func tlsIsVerifiedAgainstTheSystemOrTheGivenCA() throws {
        let server = try TLSServer()
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        #expect(try transport().perform(OutboundRequest(method: "GET", url: url)) == .failed(.tls(certificate: true)))
        let trusted = try #require(answered(try transport { $0.caFile = server.caFile }.perform(OutboundRequest(method: "GET", url: url))))
        #expect(trusted.status == 200)
        #expect(try transport { $0.caFile = server.folder.appendingPathComponent("missing.pem").path }.perform(OutboundRequest(method: "GET", url: url))
            == .failed(.tls(certificate: true)))
        // Plain HTTP to the TLS port gets no answer, and https:// to a plain server no handshake.
        let plain = try transport().perform(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/"))
        #expect(plain == .failed(.connectionLost(afterSend: true)))
        let double = try ProviderDouble { _ in .respond(HTTPResponse(status: 200)) }
        defer { double.stop() }
        #expect(try transport().perform(OutboundRequest(method: "GET", url: "https://127.0.0.1:\(double.port)/")) == .failed(.tls(certificate: false)))
    }

    /// libcurl's codes for an HTTP transfer, mapped once.
    @Test(arguments: [
        (6, false, TransportFailure.resolve),  // CURLE_COULDNT_RESOLVE_HOST
        (5, false, .resolve),  // CURLE_COULDNT_RESOLVE_PROXY
        (7, false, .connect),  // CURLE_COULDNT_CONNECT
        (35, false, .tls(certificate: false)),  // CURLE_SSL_CONNECT_ERROR
        (60, false, .tls(certificate: true)),  // CURLE_PEER_FAILED_VERIFICATION
        (77, false, .tls(certificate: true)),  // CURLE_SSL_CACERT_BADFILE
        (28, false, .timeout(afterSend: false)),  // CURLE_OPERATION_TIMEDOUT, while connecting
        (28, true, .timeout(afterSend: true)),
        (55, true, .connectionLost(afterSend: true)),  // CURLE_SEND_ERROR
        (56, true, .connectionLost(afterSend: true)),  // CURLE_RECV_ERROR
        (52, true, .connectionLost(afterSend: true)),  // CURLE_GOT_NOTHING
        (18, true, .connectionLost(afterSend: true)),  // CURLE_PARTIAL_FILE
        (16, true, .connectionLost(afterSend: true)),  // CURLE_HTTP2
        (92, false, .connectionLost(afterSend: false)),  // CURLE_HTTP2_STREAM
        (3, false, .invalidRequest("the URL is not usable")),  // CURLE_URL_MALFORMAT
        (1, false, .invalidRequest("the URL is not usable")),  // CURLE_UNSUPPORTED_PROTOCOL
        (99, true, .connectionLost(afterSend: true)),  // anything else: assume the worst
    ])
    func eachCodeHasItsFailure(_ code: Int, _ afterSend: Bool, _ failure: TransportFailure) {
        #expect(CurlHTTPTransport.failure(code, afterSend: afterSend, tooLarge: false) == failure)
    }

    @Test func anOverflowWinsOverTheCodeItCaused() {
        #expect(CurlHTTPTransport.failure(23, afterSend: true, tooLarge: true) == .responseTooLarge)  // CURLE_WRITE_ERROR
        #expect(CurlHTTPTransport.failure(23, afterSend: true, tooLarge: false) == .connectionLost(afterSend: true))
    }
}

extension Exchange {
    var failure: TransportFailure? {
        if case .failed(let failure) = self { return failure }
        return nil
    }
}
