/// What the intake does with one verified webhook body.
public enum IntakeDecision: Sendable, Equatable {
    /// An `email.created` / `sms.created` event (usable or not): stored as a message.
    case record(MessageDraft)
    /// Another event type: answered 2xx and counted, nothing else stored.
    case ignore(eventType: String)
}

/// A message as the intake stores it: the facts taken from the event, and its first state.
public struct MessageDraft: Sendable, Equatable {
    public var eventType: String
    public var channel: Channel?
    public var clerkID: String?
    public var slug: String?
    public var recipient: String?
    /// `queued` for a usable event, `skipped` when Clerk delivers it, `failed` when unusable.
    public var status: MessageStatus
    /// For `failed`: why (a ``UnusableReason`` code); for `skipped`: `delivered_by_clerk`.
    public var reason: String?
    /// Clerk's rendered subject, kept for listing (email only).
    public var subject: String?
    /// When Clerk created the event (Unix ms), from the signed envelope's `timestamp`: a
    /// message's age counts from here, so that an event Svix retried for an hour is not
    /// sent as if it were new.
    public var occurredAt: Int64?

    public init(
        eventType: String, channel: Channel?, clerkID: String? = nil, slug: String? = nil,
        recipient: String? = nil, status: MessageStatus, reason: String? = nil, subject: String? = nil, occurredAt: Int64? = nil
    ) {
        self.occurredAt = occurredAt
        self.eventType = eventType
        self.channel = channel
        self.clerkID = clerkID
        self.slug = slug
        self.recipient = recipient
        self.status = status
        self.reason = reason
        self.subject = subject
    }
}

/// Why a correctly signed event cannot be delivered. Stable codes.
public enum UnusableReason: String, Sendable, CaseIterable {
    case invalidJSON = "invalid_json"
    case notAnEvent = "not_an_event"
    case missingData = "missing_data"
    case missingRecipient = "missing_recipient"
    case invalidEmailAddress = "invalid_email_address"
    case invalidPhoneNumber = "invalid_phone_number"
    case missingContent = "missing_content"
}

extension ClerkEvent {
    /// The envelope's `timestamp` in Unix milliseconds. Clerk documents milliseconds, but
    /// its API examples show seconds: a value below 10^11 is read as seconds (10^11 s is
    /// the year 5138; 10^11 ms is 1973). Zero or negative: unknown.
    public static func eventTime(_ timestamp: Int64) -> Int64? {
        guard timestamp > 0 else { return nil }
        return timestamp < 100_000_000_000 ? timestamp * 1000 : timestamp
    }
}

/// Decoding of Clerk's webhook envelope (`{type, object, data, ...}`) for the two events
/// Herald handles. Works on the raw bytes that were verified.
public enum ClerkEvent {
    public static let emailCreated = "email.created"
    public static let smsCreated = "sms.created"

    /// What intake reads of an event; Clerk's rendered bodies and the template variables
    /// are validated but not copied (the raw body is stored and parsed in full later).
    static let intakeSelection = JSONSelection.members([
        "type": .all,
        "timestamp": .all,
        "data": .members([
            "id": .all, "slug": .all, "to_email_address": .all, "to_phone_number": .all, "subject": .all,
            "delivered_by_clerk": .all,
        ]),
    ])

    public static func decide(body: [UInt8]) -> IntakeDecision {
        guard let root = try? JSONValue.parse(body, selecting: intakeSelection) else {
            return .record(MessageDraft(eventType: "unknown", channel: nil, status: .failed, reason: UnusableReason.invalidJSON.rawValue))
        }
        return decide(root)
    }

    public static func decide(_ root: JSONValue) -> IntakeDecision {
        guard case .object = root, let type = root["type"]?.stringValue, !type.isEmpty else {
            return .record(MessageDraft(eventType: "unknown", channel: nil, status: .failed, reason: UnusableReason.notAnEvent.rawValue))
        }
        let channel: Channel
        switch type {
        case emailCreated: channel = .email
        case smsCreated: channel = .sms
        default: return .ignore(eventType: String(type.prefix(100)))
        }
        func fail(_ reason: UnusableReason, _ draft: MessageDraft) -> IntakeDecision {
            var draft = draft
            draft.status = .failed
            draft.reason = reason.rawValue
            return .record(draft)
        }
        var draft = MessageDraft(eventType: type, channel: channel, status: .queued)
        if case .int(let timestamp)? = root["timestamp"] { draft.occurredAt = eventTime(timestamp) }
        guard let data = root["data"], case .object = data else {
            return fail(.missingData, draft)
        }
        draft.clerkID = data["id"]?.stringValue.flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        draft.slug = data["slug"]?.stringValue.map { String($0.prefix(100)) }
        let recipientKey = channel == .email ? "to_email_address" : "to_phone_number"
        let recipient = data[recipientKey]?.stringValue
        draft.recipient = recipient.map { String($0.prefix(320)) }
        if channel == .email { draft.subject = data["subject"]?.stringValue.map { String($0.prefix(500)) } }

        if data["delivered_by_clerk"]?.boolValue == true {
            draft.status = .skipped
            draft.reason = "delivered_by_clerk"
            return .record(draft)
        }
        guard let recipient, !recipient.isEmpty else { return fail(.missingRecipient, draft) }
        switch channel {
        case .email:
            guard Recipient.isValidEmail(recipient) else { return fail(.invalidEmailAddress, draft) }
            let hasClerkRendering = data["body"]?.stringValue != nil || data["body_plain"]?.stringValue != nil
            guard hasClerkRendering || draft.slug != nil else { return fail(.missingContent, draft) }
        case .sms:
            guard Recipient.isValidPhone(recipient) else { return fail(.invalidPhoneNumber, draft) }
            guard data["message"]?.stringValue != nil || draft.slug != nil else { return fail(.missingContent, draft) }
        }
        return .record(draft)
    }
}
