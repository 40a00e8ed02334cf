import Foundation
public import HeraldCore

extension HTTPRequest {
    /// The credentials of a `Basic` Authorization header.
    public var basicCredentials: (user: String, password: String)? {
        guard let header = header("authorization"), header.hasPrefix("Basic "),
            let data = Data(base64Encoded: String(header.dropFirst(6))), let text = String(data: data, encoding: .utf8),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The token of a `Bearer` Authorization header.
    public var bearerToken: String? {
        guard let header = header("authorization"), header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst(7))
    }

    /// The body as a form (`+` as space, %-escapes decoded).
    public var form: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[unescape(parts[0])] = parts.count > 1 ? unescape(parts[1]) : ""
        }
        return fields
    }

    /// The body as JSON.
    public var json: JSONValue? { try? JSONValue.parse(body) }
}

extension HTTPResponse {
    /// A JSON answer with extra headers.
    public static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> HTTPResponse {
        .json(status, value.serialized(), headers: headers)
    }
}
