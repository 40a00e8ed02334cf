import Foundation

/// The pure half of SMTP delivery: how an ``SMTPExchange`` maps to a ``DeliveryOutcome``
/// (see ../shared/reference/providers.md section 16.4), and the relay's queue id from its
/// final reply.
public enum SMTPReply {
    /// `needsSMTPUTF8`: the message has a UTF-8 address, so a send refused after MAIL
    /// means the relay does not offer SMTPUTF8 (libcurl will not send it otherwise).
    public static func classify(_ exchange: SMTPExchange, needsSMTPUTF8: Bool = false) -> DeliveryOutcome {
        let replyCode = exchange.replyCode
        let code = replyCode == 0 ? nil : replyCode
        switch exchange.stage {
        case .accepted:
            return .delivered(providerID: queueID(exchange.lastReply), code: code ?? 250)
        case .resolveFailed, .connectFailed:
            return .failed(Failure(.connectionFailed, scope: .transient))
        case .timedOut:
            // No reply after the data (354 was the last) means the relay may have the message.
            return .failed(Failure(.timeout, scope: .transient, status: code, ambiguous: replyCode == 354))
        case .tlsFailed(let certificate):
            return certificate
                ? .failed(Failure(.tlsFailed, scope: .recipient, detail: "the relay's certificate is not trusted"))
                : .failed(Failure(.tlsFailed, scope: .transient))
        case .tlsNotOffered:
            return .failed(Failure(.misconfigured, scope: .recipient, status: code, detail: "STARTTLS required and not offered"))
        case .loginDenied:
            // 535 (a wrong password, e.g. during a rotation) is the configuration's: retried with
            // backoff so an operator can mend it within a code's life, and loud. 454 is passing.
            return replyCode / 100 == 4
                ? .failed(Failure(.authFailed, scope: .transient, status: code))
                : .failed(Failure(.authFailed, scope: .provider, status: code, detail: "the relay refused the credentials"))
        case .sendFailed where needsSMTPUTF8:
            return .failed(Failure(.smtpUTF8Unsupported, scope: .recipient, detail: "the relay does not offer SMTPUTF8"))
        case .unexpectedReply, .accessDenied, .sendFailed, .receiveFailed, .other:
            switch replyCode / 100 {
            case 4:
                // 4.7.x is policy or throttling: give the relay longer.
                let throttled = exchange.lastReply?.contains(" 4.7.") == true || replyCode == 421
                return .failed(Failure(
                    throttled ? .rateLimited : .rejectedTemporarily, scope: .transient, status: code,
                    retryAfter: throttled ? 60_000 : nil))
            case 5:
                switch replyCode {
                case 550, 551, 553: return .failed(Failure(.badRecipient, scope: .recipient, status: code))
                case 530, 534, 535, 538: return .failed(Failure(.authFailed, scope: .provider, status: code))
                default: return .failed(Failure(.rejected, scope: .recipient, status: code))
                }
            default:
                // The connection broke mid-transaction; after the data it may have been taken.
                return .failed(Failure(.connectionFailed, scope: .transient, status: code, ambiguous: replyCode == 354))
            }
        }
    }

    /// The queue id in a final reply such as `250 2.0.0 Ok: queued as 4XyZ12`, or the
    /// reply text when it names no id.
    public static func queueID(_ reply: String?) -> String? {
        guard let reply else { return nil }
        let text = reply.trimmingWhitespace()
        if let range = text.range(of: "queued as ", options: .caseInsensitive) {
            let id = text[range.upperBound...].prefix { !$0.isWhitespace }
            if !id.isEmpty { return String(id.prefix(100)) }
        }
        guard text.count > 4 else { return nil }
        return String(text.dropFirst(4).prefix(200))
    }
}
