import Foundation
import HeraldCore
import HeraldTestSupport

/// Plivo's Message API on 127.0.0.1, checking what Plivo checks (Basic auth of the auth ID
/// in the path, the path's trailing slash, a JSON body with `src`, `dst`, `text`) and
/// answering as Plivo does (../shared/reference/providers.md section 12): `202` with
/// `message_uuid`, an invalid destination listed under `invalid_number`, errors as text.
final class PlivoDouble: SMSProviderDouble {
    enum Refusal: Sendable {
        /// `202` with the destination under `invalid_number` and no `message_uuid`.
        case invalidNumber
        case error(status: Int, text: String)
    }

    typealias Behavior = SMSBehavior<Refusal>

    static let authID = "MATESTAUTHID00000001"
    static let authToken = "plivo-test-token-91de"
    static var secret: String { authToken }

    let double: ProviderDouble

    init(_ behaviors: [Behavior] = [.accept]) throws {
        let script = Script(behaviors)
        double = try ProviderDouble { request in Self.answer(request, behavior: script.next) }
    }

    var url: String { "plivo://\(Self.authID):\(Self.authToken)@default?from=%2B15550001111&endpoint=\(double.endpoint)" }

    /// The JSON bodies of every message Plivo took.
    var accepted: [JSONValue] { double.requests.filter { $0.method == "POST" }.compactMap(\.json) }

    static let messagePath = "/v1/Account/\(authID)/Message/"

    static func answer(_ request: HTTPRequest, behavior next: () -> Behavior) -> ProviderDouble.Reply {
        guard let credentials = request.basicCredentials, credentials == (authID, authToken) else {
            return error(401, "authentication_failed")
        }
        if request.method == "GET", request.path == "/v1/Account/\(authID)/" {
            return .respond(.json(200, .object([
                "api_id": .string(UUID().uuidString.lowercased()), "account_type": .string("standard"), "auth_id": .string(authID),
                "billing_mode": .string("prepaid"), "cash_credits": .string("4.88860"), "resource_uri": .string("/v1/Account/\(authID)/"),
            ])))
        }
        guard request.path == messagePath else { return error(404, "not found") }
        guard request.method == "POST" else { return error(405, "method not allowed") }
        guard request.header("content-type")?.hasPrefix("application/json") == true, let json = request.json else {
            return error(400, "invalid_parameter")
        }
        for field in ["src", "dst", "text"] where (json[field]?.stringValue ?? "").isEmpty {
            return error(400, "\(field) parameter is required")
        }
        let dst = json["dst"]?.stringValue ?? ""
        let digits = dst.hasPrefix("+") ? String(dst.dropFirst()) : dst
        guard (8...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return invalidNumber(dst) }
        switch next() {
        case .accept:
            return .respond(.json(202, queued()))
        case .refuse(.invalidNumber):
            return invalidNumber(dst)
        case .refuse(.error(let status, let text)):
            return error(status, text)
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, body("rate_limit_exceeded"))
            if let retryAfter { response.headers["Retry-After"] = retryAfter }
            return .respond(response)
        case .unavailable:
            return error(500, "server error")
        case .hang(let seconds):
            return .after(seconds: seconds, .json(202, queued()))
        }
    }

    static func queued() -> JSONValue {
        .object([
            "api_id": .string(UUID().uuidString.lowercased()), "message": .string("message(s) queued"),
            "message_uuid": .array([.string(UUID().uuidString.lowercased())]),
        ])
    }

    static func invalidNumber(_ dst: String) -> ProviderDouble.Reply {
        .respond(.json(202, .object([
            "api_id": .string(UUID().uuidString.lowercased()), "message": .string("message(s) queued"),
            "message_uuid": .array([]), "invalid_number": .array([.string(dst)]),
        ])))
    }

    static func body(_ text: String) -> JSONValue {
        .object(["api_id": .string(UUID().uuidString.lowercased()), "error": .string(text)])
    }

    static func error(_ status: Int, _ text: String) -> ProviderDouble.Reply {
        .respond(.json(status, body(text)))
    }
}
