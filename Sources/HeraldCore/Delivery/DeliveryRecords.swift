/// A message a worker claimed: what it needs to compose and send it.
public struct ClaimedMessage: Sendable, Equatable {
    public var id: Int64
    public var channel: Channel
    public var slug: String?
    public var recipient: String
    public var clerkID: String?
    /// Attempts made before this one.
    public var attempts: Int
    public var createdAt: Int64
    /// When it stops being worth sending (Unix ms).
    public var expiresAt: Int64
    /// The raw webhook body.
    public var payload: [UInt8]
    /// The `svix-id` it came with.
    public var webhookID: String

    public init(
        id: Int64, channel: Channel, slug: String?, recipient: String, clerkID: String?, attempts: Int, createdAt: Int64,
        expiresAt: Int64, payload: [UInt8], webhookID: String = ""
    ) {
        self.webhookID = webhookID
        self.id = id
        self.channel = channel
        self.slug = slug
        self.recipient = recipient
        self.clerkID = clerkID
        self.attempts = attempts
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.payload = payload
    }
}

/// One recorded attempt.
public struct AttemptRecord: Sendable, Equatable {
    public var number: Int
    public var transport: String
    public var startedAt: Int64
    public var durationMs: Int64
    /// `delivered`, `retryable`, `permanent` (or `expired` when it was never sent).
    public var outcome: String
    /// SMTP or HTTP reply code.
    public var code: Int?
    public var providerID: String?
    /// The provider's own error code (Twilio `21211`).
    public var providerCode: String?
    /// Failure code and short detail.
    public var error: String?
    /// Where the content came from (template or Clerk's rendering, and why).
    public var template: String?

    public init(
        number: Int, transport: String, startedAt: Int64, durationMs: Int64, outcome: String, code: Int? = nil,
        providerID: String? = nil, error: String? = nil, template: String? = nil, providerCode: String? = nil
    ) {
        self.providerCode = providerCode
        self.number = number
        self.transport = transport
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.outcome = outcome
        self.code = code
        self.providerID = providerID
        self.error = error
        self.template = template
    }
}

/// How an attempt changes its message.
public struct AttemptResult: Sendable, Equatable {
    public var status: MessageStatus
    public var nextAttemptAt: Int64?
    public var lastError: String?
    public var providerID: String?
    public var detail: String?

    public init(status: MessageStatus, nextAttemptAt: Int64? = nil, lastError: String? = nil, providerID: String? = nil, detail: String? = nil) {
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.providerID = providerID
        self.detail = detail
    }
}
