import Foundation
import HeraldCore
import HeraldTestSupport

/// Postmark's Email API on 127.0.0.1, checking what Postmark checks (the server token
/// header, JSON in and out, From, To, Subject, a text or HTML body, a known stream,
/// TrackLinks, string Metadata, Headers as `{Name, Value}`) and answering as Postmark does
/// (../shared/reference/providers.md section 2): 200 with `MessageID` and `ErrorCode` 0,
/// errors as `{"ErrorCode": n, "Message": "..."}` (422 for most, 401 for the token).
final class PostmarkDouble: EmailAPIDouble {
    static let serverToken = "9d1c7e52-3b7a-4f0e-a6c4-postmark0test"
    static var secret: String { serverToken }

    let server: EmailAPIServer

    init(_ behaviors: [EmailBehavior] = [.accept]) throws {
        server = try EmailAPIServer(behaviors) { request, next, messages in Self.answer(request, behavior: next, messages: messages) }
    }

    var url: String { "postmark://\(Self.serverToken)@default?message_stream=outbound&endpoint=\(double.endpoint)" }

    static func answer(_ request: HTTPRequest, behavior next: () -> EmailBehavior, messages: SentMessages) -> ProviderDouble.Reply {
        guard request.header("x-postmark-server-token") == serverToken else {
            return error(401, 10, "The Server Token you provided in the X-Postmark-Server-Token request header was invalid.")
        }
        if request.method == "GET", request.path == "/server" {
            return .respond(.json(200, #"{"ID":1,"Name":"Herald tests","ApiTokens":["\#(serverToken)"],"DeliveryType":"Live"}"#))
        }
        guard request.method == "POST", request.path == "/email" else { return error(404, 0, "Not found") }
        guard request.isJSON, request.acceptsJSON, let email = request.json else { return error(415, 409, "JSON required") }
        if let problem = check(email) { return error(422, problem.code, problem.message) }
        switch next() {
        case .accept:
            let id = randomMessageID()
            messages.append(id, email)
            return .respond(.json(200, accepted(email, id: id)))
        case .recipientError:
            return error(422, 406, "You tried to send to recipient(s) that have been marked as inactive.")
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, #"{"ErrorCode":429,"Message":"Rate limit exceeded."}"#)
            if let retryAfter { response.headers["Retry-After"] = retryAfter }
            return .respond(response)
        case .unavailable:
            return error(503, 503, "Postmark is down for maintenance.")
        case .hang(let seconds):
            let id = randomMessageID()
            messages.append(id, email)
            return .after(seconds: seconds, .json(200, accepted(email, id: id)))
        }
    }

    static func accepted(_ email: JSONValue, id: String) -> JSONValue {
        .object([
            "To": email["To"] ?? .null, "SubmittedAt": .string("2025-11-22T05:18:00.123-05:00"), "MessageID": .string(id),
            "ErrorCode": .int(0), "Message": .string("OK"),
        ])
    }

    /// The first thing Postmark would refuse in `email`, with its ErrorCode.
    static func check(_ email: JSONValue) -> (code: Int, message: String)? {
        guard let from = email.text("From"), Recipient.isValidEmail(mailboxAddress(from) ?? "") else {
            return (300, "Invalid 'From' address.")
        }
        guard let to = email.text("To"), to.split(separator: ",").allSatisfy({ Recipient.isValidEmail(mailboxAddress(String($0)) ?? "") }) else {
            return (300, "Invalid 'To' address.")
        }
        guard email.text("TextBody") != nil || email.text("HtmlBody") != nil else { return (300, "Provide either email TextBody or HtmlBody or both.") }
        guard email.text("Subject") != nil else { return (300, "Subject is required.") }
        if let stream = email["MessageStream"], stream != .string("outbound") { return (1235, "The message stream for the provided 'ID' was not found.") }
        if let links = email["TrackLinks"], !["None", "HtmlAndText", "HtmlOnly", "TextOnly"].contains(links.stringValue ?? "") {
            return (300, "Invalid TrackLinks value.")
        }
        if let opens = email["TrackOpens"], opens.boolValue == nil { return (300, "Invalid TrackOpens value.") }
        if let metadata = email["Metadata"], !metadata.isStringMap { return (300, "Metadata values must be strings.") }
        if let headers = email["Headers"], headers.array?.allSatisfy({ $0.text("Name") != nil && $0["Value"]?.stringValue != nil }) != true {
            return (300, "Headers must be a list of Name and Value.")
        }
        return nil
    }

    static func error(_ status: Int, _ code: Int, _ message: String) -> ProviderDouble.Reply {
        .respond(.json(status, JSONValue.object(["ErrorCode": .int(Int64(code)), "Message": .string(message)])))
    }
}
