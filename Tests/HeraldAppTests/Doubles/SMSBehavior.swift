import HeraldTestSupport

/// What a scripted SMS provider double does with the next request that passed its checks
/// (the last behaviour of a script repeats).
enum SMSBehavior<Refusal: Sendable>: Sendable {
    case accept
    /// The provider's own refusal: its code, in its own shape.
    case refuse(Refusal)
    /// HTTP 429, with `Retry-After` when given.
    case rateLimited(retryAfter: String?)
    /// A 5xx.
    case unavailable
    /// The success answer, but only after `seconds` (longer than Herald waits).
    case hang(seconds: Double)
}

/// A provider double as the shared end-to-end scenarios drive it.
protocol SMSProviderDouble: Sendable {
    var double: ProviderDouble { get }
    /// `HERALD_SMS_URL` for this double.
    var url: String { get }
    /// The credential in ``url`` that must never be shown, logged or stored.
    static var secret: String { get }
}
