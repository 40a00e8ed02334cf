import Foundation
import HeraldCore
import HeraldProviders
import HeraldTestSupport

/// Mailgun's Messages API on 127.0.0.1, checking what Mailgun checks (Basic auth as `api`
/// with the key, the domain in the path, a form body, `from` and `to` addresses, a subject,
/// `text` or `html`, the `o:` / `h:` / `v:` options within 16 kB, at most 10 tags, the
/// tracking options' values) and answering as Mailgun does (../shared/reference/providers.md
/// section 3): 200 with the Message-ID in angle brackets, errors as `{"message": ...}`, a
/// 401 as the text `Forbidden`, a 429 with `X-RateLimit-Reset` and the time in the message.
final class MailgunDouble: EmailAPIDouble {
    static let apiKey = "key-mailgun0test-7c1d9e2f4a5b6c7d"
    static let domain = "mg.example.com"
    static var secret: String { apiKey }

    let server: EmailAPIServer

    init(_ behaviors: [EmailBehavior] = [.accept]) throws {
        server = try EmailAPIServer(behaviors) { request, next, messages in Self.answer(request, behavior: next, messages: messages) }
    }

    var url: String { "mailgun://\(Self.apiKey):\(Self.domain)@default?endpoint=\(double.endpoint)" }

    static func answer(_ request: HTTPRequest, behavior next: () -> EmailBehavior, messages: SentMessages) -> ProviderDouble.Reply {
        guard let credentials = request.basicCredentials, credentials == ("api", apiKey) else {
            return .respond(HTTPResponse(status: 401, headers: ["Content-Type": "text/plain"], body: Array("Forbidden".utf8)))
        }
        if request.method == "GET", request.path.hasPrefix("/v4/domains/") {
            let name = request.path.dropFirst("/v4/domains/".count)
            guard name == domain else { return error(404, "Domain not found") }
            return .respond(.json(200, #"{"domain":{"name":"\#(domain)","state":"active","type":"custom","is_disabled":false,"smtp_login":"postmaster@\#(domain)","smtp_password":"not-for-eyes"},"receiving_dns_records":[],"sending_dns_records":[]}"#))
        }
        guard request.path.hasPrefix("/v3/"), request.path.hasSuffix("/messages") else {
            return .respond(HTTPResponse(status: 404, body: Array("404 page not found".utf8)))
        }
        guard request.method == "POST" else { return error(405, "Method Not Allowed") }
        let name = request.path.dropFirst("/v3/".count).dropLast("/messages".count)
        guard name == domain else { return error(404, "Domain not found: \(name)") }
        guard request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return error(400, "Invalid request content type")
        }
        let fields = FormEncoding.decode(request.body)
        if let problem = check(fields) { return error(400, problem) }
        var mail: [String: JSONValue] = [:]
        for (name, value) in fields { mail[name] = .string(value) }
        switch next() {
        case .accept:
            return .respond(accepted(JSONValue.object(mail), messages: messages))
        case .recipientError:
            return error(400, "to parameter is not a valid address. please check documentation")
        case .rateLimited(let retryAfter):
            let reset = Int(Date().timeIntervalSince1970.rounded(.up)) + (Int(retryAfter ?? "") ?? 1)
            var response = HTTPResponse.json(
                429, JSONValue.object(["message": .string("Domain \(domain) is not allowed to send: request limit exceeded, try again after \(httpDate(reset))")]))
            response.headers["X-RateLimit-Reset"] = String(reset)
            return .respond(response)
        case .unavailable:
            return .respond(HTTPResponse(status: 503, headers: ["Content-Type": "text/html"], body: Array("<html>Service Unavailable</html>".utf8)))
        case .hang(let seconds):
            return .after(seconds: seconds, accepted(JSONValue.object(mail), messages: messages))
        }
    }

    /// Recorded as sent now; the answer carries the id in angle brackets, as Mailgun's does.
    static func accepted(_ mail: JSONValue, messages: SentMessages) -> HTTPResponse {
        let id = "\(Int(Date().timeIntervalSince1970)).1.\(randomMessageID().prefix(12).uppercased())@\(domain)"
        messages.append(id, mail)
        return .json(200, JSONValue.object(["id": .string("<\(id)>"), "message": .string("Queued. Thank you.")]))
    }

    /// The first thing Mailgun would refuse in the form, in its words.
    static func check(_ fields: [(String, String)]) -> String? {
        func value(_ name: String) -> String? { fields.last { $0.0 == name }?.1 }
        guard let from = value("from") else { return "from parameter is missing" }
        guard let sender = mailboxAddress(from), Recipient.isValidEmail(sender) else {
            return "from parameter is not a valid address. please check documentation"
        }
        guard let to = value("to") else { return "to parameter is missing" }
        guard Recipient.isValidEmail(to) else { return "to parameter is not a valid address. please check documentation" }
        guard value("subject")?.isEmpty == false else { return "subject parameter is missing" }
        guard value("text") != nil || value("html") != nil else { return "Need at least one of 'text' or 'html' parameters specified" }
        let options = fields.filter { ["o:", "h:", "v:", "t:"].contains(String($0.0.prefix(2))) }
        guard options.reduce(0, { $0 + $1.0.utf8.count + $1.1.utf8.count }) <= 16 * 1024 else {
            return "Send options (parameters starting with o:, h:, or v:) are limited to 16 kB total"
        }
        let tags = fields.filter { $0.0 == "o:tag" }.map(\.1)
        guard tags.count <= 10, tags.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } && $0.count <= 128 }) else {
            return "o:tag parameter is not valid"
        }
        for (name, allowed) in [("o:tracking", ["yes", "no", "true", "false"]), ("o:tracking-opens", ["yes", "no", "true", "false"]),
                                ("o:tracking-clicks", ["yes", "no", "true", "false", "htmlonly"])]
        where value(name).map({ !allowed.contains($0) }) ?? false {
            return "\(name) parameter is not valid"
        }
        for (name, _) in fields where name.hasPrefix("h:") && !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return "Header name must be pure ASCII: \(name.dropFirst(2))"
        }
        return nil
    }

    static func error(_ status: Int, _ message: String) -> ProviderDouble.Reply {
        .respond(.json(status, JSONValue.object(["message": .string(message)])))
    }

    /// `Mon, 20 Dec 2021 20:33:21 UTC`, the form of Mailgun's "try again after".
    static func httpDate(_ seconds: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
