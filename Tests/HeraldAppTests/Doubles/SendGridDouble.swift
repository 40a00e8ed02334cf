import Foundation
import HeraldCore
import HeraldTestSupport

/// SendGrid's v3 Mail Send on 127.0.0.1, checking what SendGrid checks (the Bearer key,
/// JSON, personalizations with a valid `to`, an ASCII `from`, a subject, content with
/// text/plain before text/html and each once, string custom_args, not both reply_to and
/// reply_to_list) and answering as SendGrid does (../shared/reference/providers.md
/// section 1): 202 with `X-Message-Id` and no body, errors as `{"errors":[...]}`.
final class SendGridDouble: EmailAPIDouble {
    static let apiKey = "SG.herald-test.k7c1d9e2"
    static var secret: String { apiKey }

    let server: EmailAPIServer

    init(_ behaviors: [EmailBehavior] = [.accept]) throws {
        server = try EmailAPIServer(behaviors) { request, next, messages in Self.answer(request, behavior: next, messages: messages) }
    }

    var url: String { "sendgrid://\(Self.apiKey)@default?endpoint=\(double.endpoint)" }

    static func answer(_ request: HTTPRequest, behavior next: () -> EmailBehavior, messages: SentMessages) -> ProviderDouble.Reply {
        guard request.bearerToken == apiKey else {
            return error(401, nil, "The provided authorization grant is invalid, expired, or revoked")
        }
        if request.method == "GET", request.path == "/v3/scopes" {
            return .respond(.json(200, #"{"scopes":["mail.send","alerts.read"]}"#))
        }
        guard request.path == "/v3/mail/send" else { return error(404, nil, "not found") }
        guard request.method == "POST" else { return error(405, nil, "method not allowed") }
        guard request.acceptsJSON else { return error(406, nil, "Accept header must allow application/json") }
        guard request.isJSON, let mail = request.json else { return error(400, nil, "Content-Type should be application/json.") }
        if let problem = check(mail) { return error(400, problem.field, problem.message) }
        switch next() {
        case .accept:
            let id = randomMessageID()
            messages.append(id, mail)
            return .respond(HTTPResponse(status: 202, headers: ["X-Message-Id": id]))
        case .recipientError:
            return error(400, "personalizations.0.to.0.email", "Does not contain a valid address.")
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, #"{"errors":[{"field":null,"message":"too many requests"}]}"#)
            response.headers["X-RateLimit-Reset"] = String(Int(Date().timeIntervalSince1970) + (Int(retryAfter ?? "") ?? 1))
            response.headers["X-RateLimit-Limit"] = "600"
            response.headers["X-RateLimit-Remaining"] = "0"
            return .respond(response)
        case .unavailable:
            return error(503, nil, "service unavailable")
        case .hang(let seconds):
            let id = randomMessageID()
            messages.append(id, mail)
            return .after(seconds: seconds, HTTPResponse(status: 202, headers: ["X-Message-Id": id]))
        }
    }

    /// The first thing SendGrid would refuse in `mail`, with the field it names.
    static func check(_ mail: JSONValue) -> (field: String?, message: String)? {
        guard let personalizations = mail["personalizations"]?.array, let first = personalizations.first else {
            return ("personalizations", "The personalizations field is required and must have at least one personalization.")
        }
        guard let to = first["to"]?.array, !to.isEmpty else {
            return ("personalizations.0.to", "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")
        }
        for (index, recipient) in to.enumerated() where !Recipient.isValidEmail(recipient.text("email") ?? "") {
            return ("personalizations.0.to.\(index).email", "Does not contain a valid address.")
        }
        guard let from = mail["from"]?.text("email"), Recipient.isValidEmail(from), from.utf8.allSatisfy({ $0 < 0x80 }) else {
            return ("from.email", "The from email does not contain a valid address.")
        }
        guard mail.text("subject") != nil else { return ("subject", "The subject is required.") }
        guard let content = mail["content"]?.array, !content.isEmpty else {
            return ("content", "The content value must be a string at least one character in length.")
        }
        let types = content.map { $0.text("type") ?? "" }
        guard content.allSatisfy({ $0.text("value") != nil }), Set(types).count == types.count else {
            return ("content", "If present, text/plain and text/html may only be provided once.")
        }
        if let plain = types.firstIndex(of: "text/plain"), let html = types.firstIndex(of: "text/html"), plain > html {
            return ("content.0.type", "The text/plain content type must be first, followed by any other content types.")
        }
        if let args = mail["custom_args"], !args.isStringMap { return ("custom_args", "Custom args values must be strings.") }
        if mail["reply_to"] != nil, mail["reply_to_list"] != nil {
            return ("reply_to", "The reply_to and reply_to_list fields cannot both be used.")
        }
        return nil
    }

    static func error(_ status: Int, _ field: String?, _ message: String) -> ProviderDouble.Reply {
        let item: JSONValue = .object(["field": field.map(JSONValue.string) ?? .null, "message": .string(message), "help": .null])
        return .respond(.json(status, JSONValue.object(["errors": .array([item])])))
    }
}
