/// What a provider may need about the message beyond its content: ids for idempotency
/// and correlation, and the template data for the generic webhook channel.
public struct SendContext: Sendable, Equatable {
    /// Herald's message number.
    public var messageID: Int64
    /// The `svix-id` the message came with (unique per Clerk event).
    public var webhookID: String
    /// Clerk's id (`ema_...`, `sms_...`).
    public var clerkID: String?
    public var slug: String?
    /// 1 for the first attempt.
    public var attempt: Int
    /// Unix ms when the attempt started.
    public var now: Int64
    /// The event's template variables (`data.data`), for the webhook channel.
    public var templateData: JSONValue?

    public init(
        messageID: Int64, webhookID: String, clerkID: String? = nil, slug: String? = nil, attempt: Int = 1, now: Int64,
        templateData: JSONValue? = nil
    ) {
        self.messageID = messageID
        self.webhookID = webhookID
        self.clerkID = clerkID
        self.slug = slug
        self.attempt = attempt
        self.now = now
        self.templateData = templateData
    }

    /// A key that stays the same for every attempt of this message and differs between
    /// messages, even across databases (it is built from the webhook id, which Svix makes
    /// unique): providers that deduplicate on it never send one message twice.
    public var idempotencyKey: String {
        "herald-" + String(webhookID.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" || $0 == "-") }.prefix(200).map(Character.init))
            + "-\(messageID)"
    }
}
