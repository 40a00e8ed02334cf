/// Verifies Svix / Standard Webhooks signatures: HMAC-SHA256 over
/// `"{id}.{timestamp}.{raw body}"`, any `v1` entry matching any configured secret,
/// timestamp within ``tolerance`` seconds of now in either direction.
public struct WebhookVerifier: Sendable {
    public static let defaultTolerance: Int64 = 300

    public let secrets: [WebhookSecret]
    public let tolerance: Int64
    private let authenticator: any MessageAuthenticator

    public init(secrets: [WebhookSecret], authenticator: any MessageAuthenticator, tolerance: Int64 = defaultTolerance) {
        precondition(!secrets.isEmpty, "a verifier needs at least one secret")
        self.secrets = secrets
        self.authenticator = authenticator
        self.tolerance = tolerance
    }

    /// Verifies a request. `now` is Unix seconds.
    @discardableResult
    public func verify(
        headers lookup: (String) -> String?,
        body: [UInt8],
        now: Int64
    ) throws(SignatureError) -> SignatureHeaders {
        let headers = try SignatureHeaders.extract(lookup)
        try verify(headers, body: body, now: now)
        return headers
    }

    public func verify(_ headers: SignatureHeaders, body: [UInt8], now: Int64) throws(SignatureError) {
        if now - headers.timestamp > tolerance { throw .timestampTooOld }
        if headers.timestamp - now > tolerance { throw .timestampTooNew }
        let given = headers.v1Signatures
        guard !given.isEmpty else { throw .noMatchingSignature }
        let content = Self.signedContent(id: headers.id, timestamp: headers.timestampText, body: body)
        var matched = false
        for secret in secrets {
            let expected = authenticator.hmacSHA256(key: secret.key, message: content)
            for candidate in given where constantTimeEquals(expected, candidate) {
                matched = true
            }
        }
        guard matched else { throw .noMatchingSignature }
    }

    /// Computes the `v1,<base64>` header entry for a message (used by `herald simulate`).
    public func sign(id: String, timestamp: Int64, body: [UInt8]) -> String {
        let content = Self.signedContent(id: id, timestamp: String(timestamp), body: body)
        return "v1," + Base64.encode(authenticator.hmacSHA256(key: secrets[0].key, message: content))
    }

    static func signedContent(id: String, timestamp: String, body: [UInt8]) -> [UInt8] {
        var content: [UInt8] = []
        content.reserveCapacity(id.utf8.count + timestamp.utf8.count + 2 + body.count)
        content.append(contentsOf: id.utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: timestamp.utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: body)
        return content
    }
}
