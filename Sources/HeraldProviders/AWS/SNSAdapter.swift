public import HeraldCore

/// Amazon SNS `Publish` to a phone number (../shared/reference/providers.md sections 14 and
/// 5.1): `sns://ACCESS_KEY_ID:SECRET_ACCESS_KEY@default?region=us-east-1[&sender_id=Acme&sms_type=Transactional]`.
/// A Query API call: a form body exactly as botocore writes it, signed with SigV4 for
/// service `sns` as it leaves; the answer is XML.
public struct SNSAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.sms
    let access: AWSAccess
    /// `AWS.SNS.SMS.SenderID`, where the destination country supports one.
    public let senderID: String?
    /// `AWS.SNS.SMS.SMSType`: `Transactional` unless told otherwise (sign-in codes are).
    public let smsType: String

    public static let options = ["sender_id", "sms_type"]
    static let version = "2010-03-31"

    public var region: String { access.region }
    public var base: String { access.base }

    public init(url: ProviderURL) throws(ProviderURLError) {
        access = try AWSAccess(url, known: Self.options, prefix: "sns", service: "sns")
        name = access.name
        if let sender = url.option("sender_id") {
            guard (1...11).contains(sender.count), sender.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
                sender.contains(where: \.isLetter)
            else { throw .invalid("sender_id must be 1 to 11 letters and digits, at least one a letter, no spaces") }
            senderID = sender
        } else {
            senderID = nil
        }
        switch url.option("sms_type")?.lowercased() {
        case nil, "transactional": smsType = "Transactional"
        case "promotional": smsType = "Promotional"
        default: throw .invalid("sms_type must be Transactional or Promotional")
        }
    }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        guard case .sms(let sms) = message else { throw AssemblyError(.misconfigured, "sns sends SMS only") }
        var fields = [("Action", "Publish"), ("Version", Self.version), ("PhoneNumber", sms.to), ("Message", sms.text)]
        var attributes = [("AWS.SNS.SMS.SMSType", smsType)]
        if let senderID { attributes.append(("AWS.SNS.SMS.SenderID", senderID)) }
        for (index, (name, value)) in attributes.enumerated() {
            let entry = "MessageAttributes.entry.\(index + 1)"
            fields += [("\(entry).Name", name), ("\(entry).Value.DataType", "String"), ("\(entry).Value.StringValue", value)]
        }
        return query(fields)
    }

    /// A signed Query API call: spaces as `+`, as botocore writes them.
    func query(_ fields: [(String, String)]) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: "\(access.base)/",
            headers: [HTTPField("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: FormEncoding.encode(fields, space: .plus), signing: access.signing)
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        AWSClassification.outcome(exchange, now: context.now, id: { answer in XMLText.value("MessageId", inside: "PublishResult", in: answer.text) }, meaning: Self.meaning(of:))
    }

    /// Publish's own errors (botocore's sns model), the parameter ones read with their
    /// message; nil for the rows SNS shares with SES and for unknown codes.
    static func meaning(of error: AWSError) -> ErrorMeaning? {
        let message = error.message?.lowercased() ?? ""
        switch error.code {
        case "InvalidParameter", "ParameterValueInvalid":
            // "Invalid parameter: PhoneNumber Reason: +1... is not valid to publish to", moto's
            // "Phone number does not meet the E164 format": the number is at fault.
            if message.contains("opted out") { return ErrorMeaning(.recipientUnsubscribed, .recipient) }
            if message.contains("phonenumber") || message.contains("phone number") { return ErrorMeaning(.badRecipient, .recipient) }
            if message.contains("too long") { return ErrorMeaning(.rejected, .recipient) }
            return ErrorMeaning(.invalidRequest, .provider)  // an attribute (sender_id) or the request itself
        case "OptedOut":
            return ErrorMeaning(.recipientUnsubscribed, .recipient)
        case "InvalidSecurity", "KMSDisabled", "KMSInvalidState", "KMSNotFound", "KMSAccessDenied", "KMSOptInRequired", "NotFound",
            "EndpointDisabled", "PlatformApplicationDisabled":
            return ErrorMeaning(.misconfigured, .provider)
        case "ValidationException":
            return ErrorMeaning(.invalidRequest, .provider)
        default:
            return nil
        }
    }

    /// `GetSMSSandboxAccountStatus`: sends nothing; says whether the key works and whether the
    /// account is in the SMS sandbox (verified destination numbers only) in this region.
    public func probe() -> OutboundRequest? {
        query([("Action", "GetSMSSandboxAccountStatus"), ("Version", Self.version)])
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        AWSClassification.judge(exchange, action: "sns:GetSMSSandboxAccountStatus") { answer in
            switch XMLText.value("IsInSandbox", inside: "GetSMSSandboxAccountStatusResult", in: answer.text) {
            case "false":
                return .ok("the credentials are accepted and the account is out of the SMS sandbox in \(region)")
            case "true":
                return .problem("the account is in the SMS sandbox in \(region): it sends only to verified destination numbers")
            default:
                return .problem("unexpected answer to GetSMSSandboxAccountStatus: no IsInSandbox")
            }
        }
    }
}
