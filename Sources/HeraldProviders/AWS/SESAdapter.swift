public import HeraldCore

/// Amazon SES API v2 `SendEmail` (../shared/reference/providers.md sections 5 and 5.1):
/// `ses://ACCESS_KEY_ID:SECRET_ACCESS_KEY@default?region=eu-west-1[&configuration_set=NAME]`
/// (also `ses+api://`). The message goes as the MIME Herald builds (`Content.Raw`), signed with
/// SigV4 for service `ses` as it leaves.
public struct SESAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.email
    let access: AWSAccess
    public let configurationSet: String?

    public static let options = ["configuration_set"]

    public var region: String { access.region }
    public var base: String { access.base }

    public init(url: ProviderURL) throws(ProviderURLError) {
        access = try AWSAccess(url, known: Self.options, prefix: "email", service: "ses")
        name = access.name
        if let set = url.option("configuration_set") {
            guard (1...64).contains(set.count), set.allSatisfy(Self.isTagCharacter) else {
                throw .invalid("configuration_set must be 1 to 64 letters, digits, - or _")
            }
            configurationSet = set
        } else {
            configurationSet = nil
        }
    }

    /// What SES allows in a tag or configuration-set name: ASCII letters, digits, `_` and `-`.
    static func isTagCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .email(let email) = message else { throw AssemblyError(.misconfigured, "ses sends email only") }
        // SES has no SMTPUTF8: addresses must be ASCII (a UTF-8 domain is punycode already).
        guard !email.needsSMTPUTF8 else { throw AssemblyError(.smtpUTF8Unsupported, "SES takes only ASCII email addresses") }
        // The envelope and identity check use the bare addresses; the display names travel
        // in the MIME headers.
        var body: [String: JSONValue] = [
            "FromEmailAddress": .string(email.from.address),
            "Destination": .object(["ToAddresses": .array([.string(email.to.address)])]),
            "Content": .object(["Raw": .object(["Data": .string(Base64.encode(email.mime()))])]),
        ]
        let slug = String((context.slug ?? "").filter(Self.isTagCharacter).prefix(256))
        if !slug.isEmpty {
            body["EmailTags"] = .array([.object(["Name": .string("template"), "Value": .string(slug)])])
        }
        if let configurationSet { body["ConfigurationSetName"] = .string(configurationSet) }
        return OutboundRequest(
            method: "POST", url: "\(access.base)/v2/email/outbound-emails", headers: [HTTPField("Content-Type", "application/json")],
            body: Array(JSONValue.object(body).serialized().utf8), signing: access.signing)
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        let outcome = AWSClassification.outcome(
            exchange, now: context.now, id: { answer in answer.json?["MessageId"]?.stringValue }, meaning: Self.meaning(of:))
        // A daily quota clears over hours, not seconds.
        guard var failure = outcome.failure, failure.code == .quotaExceeded, failure.retryAfter == nil else { return outcome }
        failure.retryAfter = Self.quotaWait
        return .failed(failure)
    }

    /// How long a used-up quota waits, unless SES says.
    static let quotaWait: Int64 = 3_600_000

    /// SendEmail's own errors (botocore's sesv2 model), some read with their message; nil for
    /// the rows SES shares with SNS (signature, key, throttling) and for unknown codes.
    static func meaning(of error: AWSError) -> ErrorMeaning? {
        let message = error.message?.lowercased() ?? ""
        switch error.code {
        case "MessageRejected":
            // An unverified From, or (in the sandbox) an unverified recipient: this account in
            // this region cannot send it now, another provider can, and verifying the address
            // or getting production access mends it. Anything else is the content (a virus):
            // no retry and no other provider would send it as it is.
            if message.contains("not verified") || message.contains("authority to send") || message.contains("not authorized") {
                return ErrorMeaning(.senderRefused, .provider)
            }
            return ErrorMeaning(.rejected, .recipient)
        case "MailFromDomainNotVerifiedException":
            return ErrorMeaning(.senderRefused, .provider)
        case "LimitExceededException":
            // botocore retries it as throttling; for sending it is the rate or the daily quota.
            return message.contains("rate") ? ErrorMeaning(.rateLimited, .transient) : ErrorMeaning(.quotaExceeded, .provider)
        case let code? where AWSClassification.throttlingCodes.contains(code) && message.contains("quota"):
            return ErrorMeaning(.quotaExceeded, .provider)
        case "AccountSuspendedException", "SendingPausedException":
            // The account (or its configuration set) may not send until AWS or the operator
            // re-enables it.
            return ErrorMeaning(.providerError, .provider)
        case "NotFoundException":
            return ErrorMeaning(.misconfigured, .provider)  // e.g. the configuration set does not exist
        case "BadRequestException":
            return ErrorMeaning(.invalidRequest, .provider)
        default:
            return nil
        }
    }

    /// SES v2 `GetAccount`: sends nothing; says whether sending is enabled, and whether the
    /// account has production access or is in the sandbox (verified recipients only, 200 a day).
    public func probe() -> OutboundRequest? {
        OutboundRequest(method: "GET", url: "\(access.base)/v2/email/account", signing: access.signing)
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        AWSClassification.judge(exchange, action: "ses:GetAccount", success: judgeAccount)
    }

    func judgeAccount(_ answer: HTTPAnswer) -> ProbeVerdict {
        guard let account = answer.json, let enabled = account["SendingEnabled"]?.boolValue else {
            return .problem("unexpected answer to GetAccount: no SendingEnabled")
        }
        let status = account["EnforcementStatus"]?.stringValue
        let standing = status.map { $0 == "HEALTHY" ? "" : " (enforcement status \($0))" } ?? ""
        guard enabled else { return .problem("sending is disabled for this account in \(region)\(standing)") }
        guard account["ProductionAccessEnabled"]?.boolValue == true else {
            return .problem(
                "the account is in the SES sandbox in \(region): it sends only to verified addresses, 200 a day; request production access\(standing)")
        }
        let quota = account["SendQuota"]
        let max = quota?["Max24HourSend"]?.decimalValue
        let sent = quota?["SentLast24Hours"]?.decimalValue
        if let max, let sent, max >= 0, sent >= max {
            return .problem("the daily sending quota is used up (\(Int(sent)) of \(Int(max)) in the last 24 hours) in \(region)")
        }
        let allowance = max.map { $0 < 0 ? "" : ", \(Int($0)) a day" } ?? ""
        return .ok("sending is enabled in \(region) with production access\(allowance)\(standing)")
    }
}
