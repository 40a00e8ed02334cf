/// A stored message as the log and `herald show` see it. Times are Unix milliseconds.
public struct MessageRecord: Sendable, Equatable {
    public var id: Int64
    public var webhookID: String
    public var clerkID: String?
    public var eventType: String
    public var channel: Channel?
    public var slug: String?
    public var recipient: String?
    public var subject: String?
    public var status: MessageStatus
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When Clerk created the event, if it said.
    public var occurredAt: Int64?
    /// The provider of the latest attempt (`twilio`, `smtp`, a `?name=`), if one was made.
    public var provider: String?
    /// The delivering provider's message id (Twilio's `SM...`, a relay's queue id), once sent.
    public var providerID: String?

    public init(
        id: Int64, webhookID: String, clerkID: String?, eventType: String, channel: Channel?, slug: String?,
        recipient: String?, subject: String?, status: MessageStatus, attempts: Int, lastError: String?,
        createdAt: Int64, updatedAt: Int64, occurredAt: Int64? = nil, provider: String? = nil, providerID: String? = nil
    ) {
        self.provider = provider
        self.providerID = providerID
        self.occurredAt = occurredAt
        self.id = id
        self.webhookID = webhookID
        self.clerkID = clerkID
        self.eventType = eventType
        self.channel = channel
        self.slug = slug
        self.recipient = recipient
        self.subject = subject
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One entry of a message's history: a state it entered, when, and why.
public struct MessageEvent: Sendable, Equatable {
    /// Increases with every change in the store; `herald log --follow` resumes from it.
    public var sequence: Int64
    public var messageID: Int64
    public var at: Int64
    public var status: MessageStatus
    public var detail: String?

    public init(sequence: Int64, messageID: Int64, at: Int64, status: MessageStatus, detail: String?) {
        self.sequence = sequence
        self.messageID = messageID
        self.at = at
        self.status = status
        self.detail = detail
    }
}

/// Which messages `herald log` lists.
public struct MessageFilter: Sendable, Equatable {
    public var status: MessageStatus?
    public var channel: Channel?
    public var slug: String?
    public var recipient: String?
    /// Only messages created at or after this time (Unix ms).
    public var since: Int64?
    public var limit: Int

    public init(
        status: MessageStatus? = nil, channel: Channel? = nil, slug: String? = nil, recipient: String? = nil,
        since: Int64? = nil, limit: Int = 50
    ) {
        self.status = status
        self.channel = channel
        self.slug = slug
        self.recipient = recipient
        self.since = since
        self.limit = limit
    }

    public func matches(_ record: MessageRecord) -> Bool {
        if let status, record.status != status { return false }
        if let channel, record.channel != channel { return false }
        if let slug, record.slug != slug { return false }
        if let recipient, record.recipient?.lowercased() != recipient.lowercased() { return false }
        if let since, record.createdAt < since { return false }
        return true
    }
}

/// What storing a webhook's message did.
public struct InsertOutcome: Sendable, Equatable {
    public var id: Int64
    public var status: MessageStatus
    /// True when a message with the same webhook id existed already (a retry or replay).
    public var duplicate: Bool

    public init(id: Int64, status: MessageStatus, duplicate: Bool) {
        self.id = id
        self.status = status
        self.duplicate = duplicate
    }
}
