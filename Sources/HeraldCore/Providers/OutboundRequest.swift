/// An HTTP request a provider adapter wants sent: built by the adapter's pure half, sent
/// by the shared libcurl transport. Credentials are in `headers` (a Bearer token, Basic
/// auth) or in `signing` (AWS SigV4, a Standard Webhooks signature: applied just before
/// sending, with the send's clock).
public struct OutboundRequest: Sendable, Equatable {
    public var method: String
    /// Absolute `https://` URL (or `http://` on a loopback address, see ``ProviderURL``).
    public var url: String
    public var headers: [HTTPField]
    public var body: [UInt8]
    /// How the request is signed at send time, if it is.
    public var signing: RequestSigning?

    public init(method: String, url: String, headers: [HTTPField] = [], body: [UInt8] = [], signing: RequestSigning? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.signing = signing
    }
}

/// A signature computed when the request leaves (it covers the time).
public enum RequestSigning: Sendable, Equatable {
    /// AWS Signature Version 4 for `service` in `region`.
    case awsSigV4(credentials: AWSCredentials, region: String, service: String)
    /// Standard Webhooks (https://www.standardwebhooks.com/): `webhook-id` = `id` (the same
    /// on every attempt, so the receiver can deduplicate), `webhook-timestamp` = the send's
    /// Unix seconds and `webhook-signature: v1,<base64 HMAC-SHA256>` over
    /// `"{id}.{timestamp}.{body}"` with `secret`.
    case standardWebhooks(secret: WebhookSecret, id: String)
}
