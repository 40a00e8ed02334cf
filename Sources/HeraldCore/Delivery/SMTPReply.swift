import Foundation

/// The pure half of the SMTP transport: how libcurl's result and the server's last reply
/// map to a ``DeliveryOutcome`` (see ../shared/reference/providers.md §16.4), and the
/// relay's queue id from its final reply.
public enum SMTPReply {
    // libcurl codes (CURLcode), redeclared here so the core needs no C module.
    public static let curlOK = 0
    public static let curlCouldNotResolve = 6
    public static let curlCouldNotConnect = 7
    public static let curlWeirdServerReply = 8
    public static let curlRemoteAccessDenied = 9
    public static let curlOperationTimedOut = 28
    public static let curlSSLConnectError = 35
    public static let curlSendError = 55
    public static let curlReceiveError = 56
    public static let curlPeerFailedVerification = 60
    public static let curlUseSSLFailed = 64
    public static let curlLoginDenied = 67

    /// `curlCode` and the last SMTP reply code (0 when none came) to an outcome.
    public static func classify(curlCode: Int, replyCode: Int, lastReply: String?) -> DeliveryOutcome {
        let code = replyCode == 0 ? nil : replyCode
        if curlCode == curlOK { return .delivered(providerID: queueID(lastReply), code: code ?? 250) }
        switch curlCode {
        case curlCouldNotResolve, curlCouldNotConnect:
            return .retryable(.connectionFailed, code: nil, retryAfter: nil)
        case curlOperationTimedOut:
            return .retryable(.timeout, code: code, retryAfter: nil)
        case curlSSLConnectError:
            return .retryable(.tlsFailed, code: nil, retryAfter: nil)
        case curlPeerFailedVerification:
            return .permanent(.tlsFailed, code: nil)
        case curlUseSSLFailed:
            return .permanent(.misconfigured, code: code)
        case curlLoginDenied:
            return replyCode / 100 == 4 ? .retryable(.authFailed, code: code, retryAfter: nil) : .permanent(.authFailed, code: code)
        default:
            switch replyCode / 100 {
            case 4:
                // 4.7.x is policy or throttling: give the relay longer.
                let throttled = lastReply?.contains(" 4.7.") == true || replyCode == 421
                return .retryable(throttled ? .rateLimited : .rejectedTemporarily, code: code, retryAfter: throttled ? 60_000 : nil)
            case 5:
                switch replyCode {
                case 550, 551, 553: return .permanent(.badRecipient, code: code)
                case 530, 534, 535, 538: return .permanent(.authFailed, code: code)
                default: return .permanent(.rejected, code: code)
                }
            default:
                return .retryable(.connectionFailed, code: code, retryAfter: nil)
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
