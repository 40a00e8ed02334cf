public import HeraldCore

/// An AWS error answer, whatever the protocol wrote it in (../shared/reference/providers.md
/// sections 5 and 14, and botocore's parsers): the code from the `x-amzn-ErrorType` header
/// (rest-json: SES v2), else from `__type` / `code` / `Code` in a JSON body, else from the
/// `<Code>` of an XML `<Error>` (the Query protocol: SNS; and moto's auth errors for either).
/// Codes are cleaned as botocore cleans them: the part before `:`, after the last `#`.
public struct AWSError: Sendable, Equatable {
    public var code: String?
    public var message: String?

    public init(_ answer: HTTPAnswer) {
        let json = answer.json
        var code = answer.headers[field: "x-amzn-ErrorType"]
        code = code ?? json?["__type"]?.stringValue ?? json?["code"]?.stringValue ?? json?["Code"]?.stringValue
        message = json?["message"]?.stringValue ?? json?["Message"]?.stringValue
        if json == nil {
            let text = answer.text
            code = code ?? XMLText.value("Code", inside: "Error", in: text)
            message = XMLText.value("Message", inside: "Error", in: text)
        }
        self.code = code.map(Self.cleaned).flatMap { $0.isEmpty ? nil : $0 }
    }

    public init(code: String?, message: String?) {
        self.code = code
        self.message = message
    }

    static func cleaned(_ code: String) -> String {
        let head = code.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let tail = head.split(separator: "#", omittingEmptySubsequences: false).last ?? head
        return String(tail.filter { !$0.isWhitespace }.prefix(100))
    }

    /// The provider's message as a safe detail: an excerpt, with anything that looks like an
    /// address or a phone number masked (SES names the unverified recipient, SNS the number).
    public var detail: String? {
        ProviderClassification.excerpt(message.map(Self.masked))
    }

    static func masked(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word -> Substring in
            if word.contains("@") { return "<address>" }
            let digits = word.filter(\.isNumber)
            if digits.count >= 7, word.allSatisfy({ $0.isNumber || "+-().,;:".contains($0) }) { return "<number>" }
            return word
        }.joined(separator: " ")
    }
}

enum AWSClassification {
    /// The signature, the key, its token or its permissions (AWS's common errors; moto's
    /// `SignatureDoesNotMatch` / `InvalidClientTokenId` / `AccessDenied`; SNS's
    /// `AuthorizationError`). `RequestExpired` and an expired-signature message mean the clock
    /// is more than about 15 minutes off.
    static let authCodes: Set<String> = [
        "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature", "IncompleteSignatureException",
        "UnrecognizedClientException", "InvalidClientTokenId", "AccessDenied", "AccessDeniedException", "AuthorizationError",
        "ExpiredToken", "ExpiredTokenException", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
        "NotAuthorized", "RequestExpired",
    ]

    /// botocore's throttling codes that these services use, and KMS's (an encrypted topic).
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "Throttled", "TooManyRequestsException", "RequestThrottled",
        "RequestThrottledException", "RequestLimitExceeded", "KMSThrottling", "KMSThrottlingException",
    ]

    static let common: [String: ErrorMeaning] = {
        var rows: [String: ErrorMeaning] = [
            // botocore's transient codes: the request did not complete; nothing was sent.
            "RequestTimeout": ErrorMeaning(.timeout, .transient),
            "RequestTimeoutException": ErrorMeaning(.timeout, .transient),
            "PriorRequestNotComplete": ErrorMeaning(.rateLimited, .transient),
            "InternalFailure": ErrorMeaning(.providerUnavailable, .transient, ambiguous: true),
            "InternalError": ErrorMeaning(.providerUnavailable, .transient, ambiguous: true),
            "ServiceUnavailable": ErrorMeaning(.providerUnavailable, .transient, ambiguous: true),
            // The account is not signed up for the service.
            "OptInRequired": ErrorMeaning(.misconfigured, .provider),
        ]
        for code in authCodes { rows[code] = ErrorMeaning(.providerAuthFailed, .provider) }
        for code in throttlingCodes { rows[code] = ErrorMeaning(.rateLimited, .transient) }
        return rows
    }()

    /// What a send's exchange means: the id `id` finds in a 2xx answer; for an error, the
    /// service's own meaning of it (`meaning`), else a shared one, else the generic meaning
    /// of the status.
    static func outcome(
        _ exchange: Exchange, now: Int64, id: (HTTPAnswer) -> String?, meaning: (AWSError) -> ErrorMeaning?
    ) -> DeliveryOutcome {
        exchange.outcome { answer in
            if (200..<300).contains(answer.status) { return .delivered(providerID: id(answer), code: answer.status) }
            let error = AWSError(answer)
            return .failed(ErrorMeaning.failure(
                meaning(error) ?? error.code.flatMap { common[$0] }, answer: answer, providerCode: error.code, now: now, detail: error.detail))
        }
    }

    /// A probe's exchange, worded for an operator: `success` reads a 2xx answer; `action` is
    /// the IAM action probed.
    static func judge(_ exchange: Exchange, action: String, success: (HTTPAnswer) -> ProbeVerdict) -> ProbeVerdict {
        guard case .answered(let answer) = exchange else { return ProbeVerdict.standard(exchange) }
        return (200..<300).contains(answer.status) ? success(answer) : probeProblem(answer, action: action)
    }

    static func probeProblem(_ answer: HTTPAnswer, action: String) -> ProbeVerdict {
        let error = AWSError(answer)
        let said = error.detail.map { ": \($0)" } ?? ""
        switch error.code {
        case let code? where ["AccessDenied", "AccessDeniedException", "AuthorizationError"].contains(code):
            return .problem("the key is not allowed \(action) (\(code))\(said)")
        case let code? where authCodes.contains(code):
            return .problem("the credentials are refused (\(code)): check the access key, the secret and the clock\(said)")
        case let code?:
            return .problem("unexpected answer HTTP \(answer.status) (\(code))\(said)")
        case nil:
            return .problem("unexpected answer HTTP \(answer.status)")
        }
    }
}
