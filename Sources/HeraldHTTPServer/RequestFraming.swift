import HeraldCore

/// Where a request's body ends must be read one way only, or a proxy in front and this
/// server split the same bytes into different requests (request smuggling). libmicrohttpd
/// frames by the first `Transfer-Encoding` header if there is one, else by the first
/// `Content-Length`, and ignores the rest; this check refuses every request on which that
/// choice could differ from another reader's (RFC 9112 6.1, 6.3). A refused request is
/// answered and its connection closed: nothing after its headers is read as a request.
enum RequestFraming {
    struct Rejection: Equatable {
        var status: Int
        var code: String
        var message: String

        var response: HTTPResponse {
            .error(status, code: code, message: message, headers: ["Connection": "close"])
        }
    }

    /// `contentLengths` and `transferEncodings`: every value of those headers, in order.
    static func check(contentLengths: [String], transferEncodings: [String]) -> Rejection? {
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty {
                return Rejection(
                    status: 400, code: "conflicting_framing", message: "both Transfer-Encoding and Content-Length are set")
            }
            // Exactly what libmicrohttpd reads as chunked: one header, one coding.
            if transferEncodings.count == 1, trimmed(transferEncodings[0]).lowercased() == "chunked" { return nil }
            let codings = transferEncodings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { trimmed($0).lowercased() }
            if codings.last == "chunked", codings.filter({ $0 == "chunked" }).count == 1, !codings.contains("") {
                return Rejection(
                    status: 501, code: "unsupported_transfer_coding", message: "only the chunked transfer coding is supported")
            }
            return Rejection(
                status: 400, code: "bad_transfer_encoding", message: "Transfer-Encoding must end with chunked, once")
        }
        if Set(contentLengths.map { trimmed($0) }).count > 1 {
            return Rejection(
                status: 400, code: "conflicting_content_length", message: "Content-Length is set more than once, differently")
        }
        return nil
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return "" }
        return String(text[first...last])
    }
}
