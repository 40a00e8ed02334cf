import Foundation
import HeraldCore
import HeraldTestSupport

/// Vonage's SMS API on 127.0.0.1, checking what Vonage checks (a form body with `api_key`
/// and `api_secret`, `from`, `to` as 7 to 15 digits without `+`, `text`, a known `type`)
/// and answering as Vonage does (../shared/reference/providers.md section 10a): HTTP 200
/// with one `messages[]` entry per part, a non-zero `status` when the message failed.
final class VonageDouble: SMSProviderDouble {
    /// `.refuse("6")`: a 200 whose message has that status.
    typealias Behavior = SMSBehavior<String>

    static let apiKey = "a1b2c3d4"
    static let apiSecret = "vonage-test-secret-7b1c"
    static var secret: String { apiSecret }

    let double: ProviderDouble

    init(_ behaviors: [Behavior] = [.accept]) throws {
        let script = Script(behaviors)
        double = try ProviderDouble { request in Self.answer(request, behavior: script.next) }
    }

    var url: String { "vonage://\(Self.apiKey):\(Self.apiSecret)@default?from=Acme&endpoint=\(double.endpoint)" }

    /// The form fields of every message Vonage took.
    var accepted: [[String: String]] { double.requests.filter { $0.method == "POST" }.map(\.form) }

    static let errorTexts = [
        "1": "Throttled", "2": "Missing params", "3": "Invalid params", "4": "Bad Credentials", "5": "Internal Error",
        "6": "Invalid Message", "7": "Number barred", "9": "Partner quota exceeded", "15": "Illegal Sender Address - rejected",
        "29": "Non White-listed Destination - rejected",
    ]

    static func answer(_ request: HTTPRequest, behavior next: () -> Behavior) -> ProviderDouble.Reply {
        if request.method == "GET", request.path == "/account/get-balance" {
            guard let credentials = request.basicCredentials, credentials == (apiKey, apiSecret) else {
                return .respond(.json(401, #"{"error-code":"401","error-code-label":"authentication failed"}"#))
            }
            return .respond(.json(200, #"{"value":10.28,"autoReload":false}"#))
        }
        guard request.method == "POST", request.path == "/sms/json" else { return .respond(HTTPResponse(status: 404)) }
        guard request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else { return refusal("2") }
        let form = request.form
        guard let key = form["api_key"], let secret = form["api_secret"] else { return refusal("2") }
        guard key == apiKey, secret == apiSecret else { return refusal("4") }
        guard let from = form["from"], !from.isEmpty, let text = form["text"], !text.isEmpty, let to = form["to"] else { return refusal("2") }
        guard (7...15).contains(to.count), to.allSatisfy(\.isASCII), to.allSatisfy(\.isNumber) else { return refusal("3") }
        guard ["text", "unicode"].contains(form["type"] ?? "text") else { return refusal("3") }
        switch next() {
        case .accept:
            return .respond(.json(200, accepted(to: to, text: text)))
        case .refuse(let status):
            return refusal(status)
        case .rateLimited(let retryAfter):
            return .respond(HTTPResponse(status: 429, headers: retryAfter.map { ["Retry-After": $0] } ?? [:]))
        case .unavailable:
            return .respond(HTTPResponse(status: 503, headers: ["Content-Type": "text/html"], body: Array("<html>busy</html>".utf8)))
        case .hang(let seconds):
            return .after(seconds: seconds, .json(200, accepted(to: to, text: text)))
        }
    }

    /// One entry per part, each with its own id, as Vonage splits a long text.
    static func accepted(to: String, text: String) -> JSONValue {
        let parts = SMSLength(text).segments
        let messages = (0..<parts).map { _ in
            JSONValue.object([
                "to": .string(to), "message-id": .string(String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16))),
                "status": .string("0"), "remaining-balance": .string("10.28000000"), "message-price": .string("0.03330000"),
                "network": .string("23410"),
            ])
        }
        return .object(["message-count": .string(String(parts)), "messages": .array(messages)])
    }

    static func refusal(_ status: String) -> ProviderDouble.Reply {
        let message = JSONValue.object(["status": .string(status), "error-text": .string(errorTexts[status] ?? "Error \(status)")])
        return .respond(.json(200, .object(["message-count": .string("1"), "messages": .array([message])])))
    }
}
