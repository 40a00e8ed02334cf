/// What an SMTP transaction came to, as the transport saw it: libcurl's result mapped to
/// a closed set once (in HeraldCurl), the server's last reply code and final reply line.
/// ``SMTPReply`` turns it into a ``DeliveryOutcome``.
public struct SMTPExchange: Sendable, Equatable {
    public enum Stage: Sendable, Equatable {
        /// The relay accepted the message (its final 2xx).
        case accepted
        case resolveFailed
        case connectFailed
        /// The TLS handshake failed; `certificate`: the relay's certificate is not trusted.
        case tlsFailed(certificate: Bool)
        /// STARTTLS was required and the relay does not offer it.
        case tlsNotOffered
        /// AUTH was refused (the reply code tells 535 from 454).
        case loginDenied
        /// The greeting or the reply after the data was not what SMTP allows.
        case unexpectedReply
        /// EHLO and HELO refused.
        case accessDenied
        /// A command (MAIL, RCPT, DATA) was refused, or sending broke off.
        case sendFailed
        case receiveFailed
        case timedOut
        /// Anything else libcurl reported (its code, for the record).
        case other(Int)
    }

    public var stage: Stage
    /// The last SMTP reply code seen, 0 when none came.
    public var replyCode: Int
    /// The last final reply line (`250 2.0.0 Ok: queued as X`), if any.
    public var lastReply: String?

    public init(stage: Stage, replyCode: Int = 0, lastReply: String? = nil) {
        self.stage = stage
        self.replyCode = replyCode
        self.lastReply = lastReply
    }
}
