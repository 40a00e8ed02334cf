import Foundation
import HeraldCore
import HeraldCrypto
import HeraldTestSupport
import Synchronization

/// A Standard Webhooks receiver on 127.0.0.1, as a customer would write one for Herald's
/// signed webhook: it verifies `webhook-id` / `webhook-timestamp` / `webhook-signature`
/// with Herald's `WebhookVerifier` (401 with the reason when they do not verify), checks
/// the JSON body has every documented field for its channel, and handles each
/// `webhook-id` once: a retry of one it already took gets the same answer and is not
/// taken again, as the spec recommends. It serves both channels at one URL.
final class WebhookDouble: EmailAPIDouble, SMSProviderDouble {
    static let signingSecret = "whsec_aGVyYWxkLXdlYmhvb2stZG91YmxlLWsx"
    /// Valid, but not the receiver's.
    static let otherSecret = "whsec_bm90LXRoZS1yZWNlaXZlcnMtc2VjcmV0"
    static var secret: String { signingSecret }
    static let path = "/hooks/herald"

    static let emailFields: Set<String> = [
        "channel", "to", "from", "reply_to", "subject", "text", "html", "slug", "message_id", "webhook_id", "clerk_id", "data",
    ]
    static let smsFields: Set<String> = ["channel", "to", "from", "body", "slug", "message_id", "webhook_id", "clerk_id", "data"]

    let server: EmailAPIServer
    private let query: String

    convenience init(_ behaviors: [EmailBehavior] = [.accept]) throws {
        try self.init(behaviors, query: "")
    }

    /// `query` is added to the URL (`?from=...`).
    init(_ behaviors: [EmailBehavior], query: String) throws {
        self.query = query
        let taken = Taken()
        let verifier = WebhookVerifier(secrets: [try WebhookSecret(parsing: Self.signingSecret)], authenticator: OpenSSLAuthenticator())
        server = try EmailAPIServer(behaviors) { request, next, messages in
            Self.answer(request, verifier: verifier, behavior: next, messages: messages, taken: taken)
        }
    }

    var url: String { "webhook+http://\(Self.signingSecret)@127.0.0.1:\(double.port)\(Self.path)" + query }

    /// The messages Herald posted, each attempt's signature headers and body.
    var posts: [HTTPRequest] { double.requests.filter { $0.method == "POST" } }

    /// The receiver's ids, by `webhook-id`.
    final class Taken: Sendable {
        let ids = Mutex<[String: String]>([:])
    }

    static func answer(
        _ request: HTTPRequest, verifier: WebhookVerifier, behavior next: () -> EmailBehavior, messages: SentMessages, taken: Taken
    ) -> ProviderDouble.Reply {
        guard request.path == path else { return refuse(404, "no_hook", "no hook at this path") }
        guard request.method == "POST" else { return refuse(405, "method_not_allowed", "POST only") }
        guard request.header("webhook-id") != nil, request.header("svix-id") == nil else {
            return refuse(400, "missing_headers", "expected Standard Webhooks headers")
        }
        let headers: SignatureHeaders
        do {
            headers = try verifier.verify(headers: { request.header($0) }, body: request.body, now: Int64(Date().timeIntervalSince1970))
        } catch {
            return refuse(error.httpStatus, error.code, "the signature does not verify")
        }
        guard request.isJSON, let body = request.json else { return refuse(415, "not_json", "expected a JSON body") }
        if let problem = check(body) { return refuse(400, "bad_body", problem) }
        if let id = taken.ids.withLock({ $0[headers.id] }) { return .respond(.json(200, JSONValue.object(["id": .string(id)]))) }
        switch next() {
        case .accept:
            return .respond(accept(body, webhookID: headers.id, messages: messages, taken: taken))
        case .recipientError:
            return refuse(422, "invalid_recipient", "the receiver cannot deliver to this recipient")
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, JSONValue.object(["error": .string("slow down")]))
            if let retryAfter { response.headers["Retry-After"] = retryAfter }
            return .respond(response)
        case .unavailable:
            return refuse(503, "unavailable", "try later")
        case .hang(let seconds):
            return .after(seconds: seconds, accept(body, webhookID: headers.id, messages: messages, taken: taken))
        }
    }

    static func accept(_ body: JSONValue, webhookID: String, messages: SentMessages, taken: Taken) -> HTTPResponse {
        let id = "rcv_" + randomMessageID()
        messages.append(id, body)
        taken.ids.withLock { $0[webhookID] = id }
        return .json(200, JSONValue.object(["id": .string(id)]))
    }

    /// What is wrong with the body for its channel, or nil: exactly the documented fields,
    /// with the types the README gives them.
    static func check(_ body: JSONValue) -> String? {
        guard case .object(let members) = body, let channel = body.text("channel") else { return "no channel" }
        let expected = channel == "email" ? emailFields : channel == "sms" ? smsFields : []
        guard Set(members.keys) == expected else { return "fields \(members.keys.sorted()) are not those of \(channel)" }
        guard case .int = body["message_id"], body.text("webhook_id") != nil else { return "no message_id or webhook_id" }
        for key in ["slug", "clerk_id", "from", "reply_to", "text", "html"] {
            if let value = body[key], value != .null, value.stringValue == nil { return "\(key) is neither a string nor null" }
        }
        switch body["data"] {
        case .object?, .null?: break
        default: return "data is neither an object nor null"
        }
        switch channel {
        case "email":
            guard Recipient.isValidEmail(body.text("to") ?? ""), body.text("from") != nil, body.text("subject") != nil else {
                return "to, from or subject missing"
            }
            guard body.text("text") != nil || body.text("html") != nil else { return "neither text nor html" }
        default:
            guard Recipient.isValidPhone(body.text("to") ?? ""), body.text("body") != nil else { return "to or body missing" }
        }
        return nil
    }

    static func refuse(_ status: Int, _ code: String, _ message: String) -> ProviderDouble.Reply {
        .respond(.json(status, JSONValue.object(["code": .string(code), "message": .string(message)])))
    }
}
