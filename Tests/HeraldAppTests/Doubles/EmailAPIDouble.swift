import Foundation
import HeraldCore
import HeraldTestSupport
import Synchronization

/// What a scripted JSON email API double (SendGrid, Postmark, Resend) does with a request
/// that passed its checks. Each double answers in its provider's own format.
enum EmailBehavior: Sendable {
    case accept
    /// The provider's answer for an address nobody can deliver to (invalid, or suppressed).
    case recipientError
    case rateLimited(retryAfter: String?)
    case unavailable
    /// Accepts (the message counts as sent) but answers after `seconds`.
    case hang(seconds: Double)
}

/// A JSON email API double as the shared end-to-end flows see it.
protocol EmailAPIDouble: AnyObject, Sendable {
    /// The credential in ``url``; it must never show in Herald's output or files.
    static var secret: String { get }
    init(_ behaviors: [EmailBehavior]) throws
    var server: EmailAPIServer { get }
    /// `HERALD_EMAIL_URL` for this double.
    var url: String { get }
}

extension EmailAPIDouble {
    var double: ProviderDouble { server.double }
    /// The messages the double took as sent (the id it gave, the request body), oldest first.
    var sent: [SentMessages.Message] { server.messages.all }
}

/// A double's server: each request that reaches the responder comes with the next
/// scripted behaviour (the last one repeats) and the list of messages sent so far.
final class EmailAPIServer: Sendable {
    typealias Responder = @Sendable (HTTPRequest, _ next: () -> EmailBehavior, SentMessages) -> ProviderDouble.Reply

    let double: ProviderDouble
    let messages: SentMessages

    init(_ behaviors: [EmailBehavior], _ responder: @escaping Responder) throws {
        let script = Script(behaviors)
        let messages = SentMessages()
        self.messages = messages
        double = try ProviderDouble { request in responder(request, script.next, messages) }
    }
}

/// The messages a double took as sent, shared with its responder.
final class SentMessages: Sendable {
    struct Message: Sendable {
        var id: String
        var body: JSONValue
    }

    private let items = Mutex<[Message]>([])

    var all: [Message] { items.withLock { $0 } }

    func append(_ id: String, _ body: JSONValue) {
        items.withLock { $0.append(Message(id: id, body: body)) }
    }
}

extension HTTPRequest {
    /// Whether the `Content-Type` is JSON.
    var isJSON: Bool { header("content-type")?.lowercased().hasPrefix("application/json") == true }

    /// Whether `Accept` takes JSON (absent counts as anything).
    var acceptsJSON: Bool {
        guard let accept = header("accept")?.lowercased() else { return true }
        return accept.contains("application/json") || accept.contains("*/*")
    }
}

extension JSONValue {
    /// A non-empty string member.
    func text(_ key: String) -> String? {
        guard let value = self[key]?.stringValue, !value.isEmpty else { return nil }
        return value
    }

    var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// An object whose values are all strings (metadata, custom args).
    var isStringMap: Bool {
        guard case .object(let members) = self else { return false }
        return members.values.allSatisfy { $0.stringValue != nil }
    }
}

/// A provider-style id: a random UUID, lower case.
func randomMessageID() -> String { UUID().uuidString.lowercased() }

/// The address of `Name <address>` or of a bare address.
func mailboxAddress(_ text: String) -> String? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard trimmed.hasSuffix(">") else { return trimmed }
    guard let open = trimmed.lastIndex(of: "<") else { return nil }
    return String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
}
