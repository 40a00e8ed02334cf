import Foundation
import HeraldCore
import HeraldTestSupport

/// Telnyx's Messaging API v2 on 127.0.0.1, checking what Telnyx checks (a Bearer key, a
/// JSON body, `to` and `from` in +E.164 or an alphanumeric `from` with its messaging
/// profile, `text`) and answering as Telnyx does (../shared/reference/providers.md section
/// 13): `200` with `data.id`; errors as `errors[]` with a code and a source pointer.
final class TelnyxDouble: SMSProviderDouble {
    struct Refusal: Sendable {
        var code: String
        var status: Int
        var pointer: String?
    }

    typealias Behavior = SMSBehavior<Refusal>

    static let apiKey = "KEY0TELNYXTEST_5f3b9a"
    static var secret: String { apiKey }

    let double: ProviderDouble

    init(_ behaviors: [Behavior] = [.accept]) throws {
        let script = Script(behaviors)
        double = try ProviderDouble { request in Self.answer(request, behavior: script.next) }
    }

    var url: String { "telnyx://\(Self.apiKey)@default?from=%2B15550001111&endpoint=\(double.endpoint)" }

    /// The JSON bodies of every message Telnyx took.
    var accepted: [JSONValue] { double.requests.filter { $0.method == "POST" }.compactMap(\.json) }

    static func answer(_ request: HTTPRequest, behavior next: () -> Behavior) -> ProviderDouble.Reply {
        guard request.bearerToken == apiKey else { return error(Refusal(code: "10009", status: 401)) }
        if request.method == "GET", request.path == "/v2/balance" {
            return .respond(.json(200, #"{"data":{"record_type":"balance","pending":"0.00","balance":"300.00","credit_limit":"100.00","available_credit":"400.00","currency":"USD"}}"#))
        }
        guard request.path == "/v2/messages" else { return error(Refusal(code: "10005", status: 404)) }
        guard request.header("content-type")?.hasPrefix("application/json") == true, let json = request.json else {
            return error(Refusal(code: "10014", status: 415))
        }
        guard let to = json["to"]?.stringValue, to.hasPrefix("+") else { return error(Refusal(code: "10016", status: 422, pointer: "/to")) }
        guard Recipient.isValidPhone(to) else { return error(Refusal(code: "40310", status: 400, pointer: "/to")) }
        guard let from = json["from"]?.stringValue, !from.isEmpty else { return error(Refusal(code: "10004", status: 422, pointer: "/from")) }
        guard Recipient.isValidPhone(from) || json["messaging_profile_id"]?.stringValue != nil else {
            return error(Refusal(code: "10004", status: 422, pointer: "/messaging_profile_id"))
        }
        guard let text = json["text"]?.stringValue, !text.isEmpty else { return error(Refusal(code: "10004", status: 422, pointer: "/text")) }
        switch next() {
        case .accept:
            return .respond(.json(200, message(from: from, to: to, text: text)))
        case .refuse(let refusal):
            return error(refusal)
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, body(Refusal(code: "10011", status: 429)))
            if let retryAfter { response.headers["Retry-After"] = retryAfter }
            return .respond(response)
        case .unavailable:
            return error(Refusal(code: "10007", status: 503))
        case .hang(let seconds):
            return .after(seconds: seconds, .json(200, message(from: from, to: to, text: text)))
        }
    }

    static func message(from: String, to: String, text: String) -> JSONValue {
        .object(["data": .object([
            "record_type": .string("message"), "id": .string(UUID().uuidString.lowercased()), "direction": .string("outbound"),
            "type": .string("SMS"), "from": .object(["phone_number": .string(from)]),
            "to": .array([.object(["phone_number": .string(to), "status": .string("queued")])]), "text": .string(text),
            "parts": .int(Int64(SMSLength(text).segments)),
        ])])
    }

    static func body(_ refusal: Refusal) -> JSONValue {
        var error: [String: JSONValue] = [
            "code": .string(refusal.code), "title": .string("Error \(refusal.code)"), "detail": .string("Telnyx error \(refusal.code)"),
            "meta": .object(["url": .string("https://developers.telnyx.com/docs/overview/errors/\(refusal.code)")]),
        ]
        if let pointer = refusal.pointer { error["source"] = .object(["pointer": .string(pointer)]) }
        return .object(["errors": .array([.object(error)])])
    }

    static func error(_ refusal: Refusal) -> ProviderDouble.Reply {
        .respond(.json(refusal.status, body(refusal)))
    }
}
