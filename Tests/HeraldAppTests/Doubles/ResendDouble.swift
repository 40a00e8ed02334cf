import Foundation
import HeraldCore
import HeraldTestSupport
import Synchronization

/// Resend's `POST /emails` on 127.0.0.1, checking what Resend checks (the Bearer key, JSON,
/// from / to / subject, at most 50 recipients, tag characters, the Idempotency-Key's
/// length) and answering as Resend does (../shared/reference/providers.md section 4):
/// 200 `{"id"}`, errors as `{"statusCode","message","name"}`, 429 with `retry-after`.
///
/// Idempotency as Resend keeps it: a key seen with the same body gets the original answer
/// and nothing is sent again; with another body `409 invalid_idempotent_request`; while the
/// first request with it is still being answered, `409 concurrent_idempotent_requests`.
/// Only accepted sends are remembered.
final class ResendDouble: EmailAPIDouble {
    static let apiKey = "re_HeraldTest_8f2b6c"
    /// A sending-only key: it may send, and is refused `restricted_api_key` elsewhere.
    static let sendingKey = "re_HeraldSendOnly_41d7"
    static var secret: String { apiKey }

    let server: EmailAPIServer

    init(_ behaviors: [EmailBehavior] = [.accept]) throws {
        let keys = IdempotencyKeys()
        server = try EmailAPIServer(behaviors) { request, next, messages in
            Self.answer(request, behavior: next, messages: messages, keys: keys)
        }
    }

    var url: String { "resend://\(Self.apiKey)@default?endpoint=\(double.endpoint)" }

    /// What Resend remembers of each key: the body it came with, and the answer once given.
    final class IdempotencyKeys: Sendable {
        struct Entry {
            var body: JSONValue
            var answer: JSONValue
            /// The first request is still being answered until then.
            var inFlightUntil: Date
        }

        let entries = Mutex<[String: Entry]>([:])
    }

    static func answer(_ request: HTTPRequest, behavior next: () -> EmailBehavior, messages: SentMessages, keys: IdempotencyKeys)
        -> ProviderDouble.Reply
    {
        guard let token = request.bearerToken else { return error(401, "missing_api_key", "Missing API key in the authorization header.") }
        guard token == apiKey || token == sendingKey else { return error(403, "invalid_api_key", "API key is invalid.") }
        if request.method == "GET", request.path == "/domains" {
            guard token == apiKey else { return error(401, "restricted_api_key", "This API key is restricted to only send emails.") }
            return .respond(.json(200, #"{"object":"list","has_more":false,"data":[{"id":"4dd369bc-aa82-4ff3-97de-514ae3000ee0","name":"example.com","status":"verified","created_at":"2023-03-28T17:12:02.059593+00:00","region":"us-east-1"}]}"#))
        }
        guard request.path == "/emails" else { return error(404, "not_found", "The requested endpoint does not exist.") }
        guard request.method == "POST" else { return error(405, "method_not_allowed", "Method is not allowed for the requested path.") }
        guard request.isJSON, let email = request.json else { return error(400, "validation_error", "Invalid JSON body.") }
        let key = request.header("idempotency-key")
        if let key, !(1...256).contains(key.count) { return error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.") }
        if let problem = check(email) { return error(422, problem.name, problem.message) }
        // A key seen before: the original answer, or a conflict; the script is not consulted.
        if let key, let seen = keys.entries.withLock({ $0[key] }) {
            guard seen.body == email else {
                return error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.")
            }
            guard Date() >= seen.inFlightUntil else {
                return error(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress.")
            }
            return .respond(.json(200, seen.answer))
        }
        let id = randomMessageID()
        let answer = JSONValue.object(["id": .string(id)])
        func remember(answeredAt: Date) {
            messages.append(id, email)
            if let key { keys.entries.withLock { $0[key] = IdempotencyKeys.Entry(body: email, answer: answer, inFlightUntil: answeredAt) } }
        }
        switch next() {
        case .accept:
            remember(answeredAt: Date())
            return .respond(.json(200, answer))
        case .recipientError:
            return error(422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, errorBody(429, "rate_limit_exceeded", "Too many requests. Please limit the number of requests per second."))
            response.headers["ratelimit-limit"] = "2"
            response.headers["ratelimit-remaining"] = "0"
            response.headers["ratelimit-reset"] = retryAfter ?? "1"
            if let retryAfter { response.headers["retry-after"] = retryAfter }
            return .respond(response)
        case .unavailable:
            return error(500, "internal_server_error", "An unexpected error occurred.")
        case .hang(let seconds):
            remember(answeredAt: Date().addingTimeInterval(seconds))
            return .after(seconds: seconds, .json(200, answer))
        }
    }

    /// The first thing Resend would refuse in `email`.
    static func check(_ email: JSONValue) -> (name: String, message: String)? {
        guard let from = email.text("from"), Recipient.isValidEmail(mailboxAddress(from) ?? "") else {
            return ("validation_error", "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")
        }
        let to = email["to"]?.array ?? email["to"].map { [$0] } ?? []
        guard !to.isEmpty, to.count <= 50, to.allSatisfy({ Recipient.isValidEmail(mailboxAddress($0.stringValue ?? "") ?? "") }) else {
            return ("validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")
        }
        guard email.text("subject") != nil else { return ("missing_required_field", "Missing `subject` field.") }
        for tag in email["tags"]?.array ?? [] {
            for part in ["name", "value"] {
                guard let text = tag.text(part), text.count <= 256,
                    text.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
                else { return ("validation_error", "Tags should only contain ASCII letters, numbers, underscores, or dashes.") }
            }
        }
        return nil
    }

    static func errorBody(_ status: Int, _ name: String, _ message: String) -> JSONValue {
        .object(["statusCode": .int(Int64(status)), "name": .string(name), "message": .string(message)])
    }

    static func error(_ status: Int, _ name: String, _ message: String) -> ProviderDouble.Reply {
        .respond(.json(status, errorBody(status, name, message)))
    }
}
