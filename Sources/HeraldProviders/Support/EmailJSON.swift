public import HeraldCore

/// What the JSON email APIs (SendGrid, Postmark, Resend) share: taking the email out of
/// a message, the string form of an address, the ids that correlate a provider's events
/// with Herald's message, and a JSON request.
public enum EmailJSON {
    /// The email in `message`; an SMS is the message's failure, not the provider's.
    public static func email(_ message: OutgoingMessage, provider: String) throws(AssemblyError) -> Email {
        guard case .email(let email) = message else { throw AssemblyError(.misconfigured, "\(provider) sends email only") }
        // MailAddress keeps a sender's local part ASCII and its domain in xn-- form; the
        // APIs refuse anything else in From (SendGrid: "unicode is not supported").
        guard email.from.address.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw AssemblyError(.misconfigured, "the sender address must be ASCII")
        }
        return email
    }

    /// `Name <address>` (the name quoted or RFC 2047-encoded as a header needs) when the
    /// address has a name, else the bare address: what APIs that take a string expect.
    public static func string(_ address: MailAddress) -> String {
        address.name == nil ? address.address : address.headerValue
    }

    /// `{"email": ..., "name": ...}` for APIs that take objects.
    public static func object(_ address: MailAddress) -> JSONValue {
        var fields: [String: JSONValue] = ["email": .string(address.address)]
        if let name = address.name { fields["name"] = .string(name) }
        return .object(fields)
    }

    /// Herald's message number and Clerk's id, in that order, as name/value pairs for a
    /// provider's metadata (custom_args, Metadata, tags): its events then name the message.
    /// Only the characters every provider takes in a tag ([A-Za-z0-9_-]) are kept of
    /// Clerk's id; the same on every attempt.
    public static func correlation(_ context: SendContext) -> [(name: String, value: String)] {
        var pairs = [(name: "herald_message_id", value: String(context.messageID))]
        let clerk = String((context.clerkID ?? "").unicodeScalars.filter(isTagScalar).prefix(256).map(Character.init))
        if !clerk.isEmpty { pairs.append((name: "clerk_id", value: clerk)) }
        return pairs
    }

    /// ASCII letters, digits, `_` and `-`.
    public static func isTagScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2D: true
        default: false
        }
    }

    /// A request with a JSON body (compact, keys sorted: the same bytes on every attempt)
    /// and the JSON `Content-Type` and `Accept` after `headers`.
    public static func request(_ method: String, _ url: String, headers: [HTTPField], body: JSONValue?) -> OutboundRequest {
        var fields = headers
        if body != nil { fields.append(HTTPField("Content-Type", "application/json")) }
        fields.append(HTTPField("Accept", "application/json"))
        return OutboundRequest(method: method, url: url, headers: fields, body: body.map { Array($0.serialized().utf8) } ?? [])
    }
}
