import Foundation
public import HeraldCore

/// Signs provider requests as they leave (``RequestSigning``) over libcrypto's hashes: AWS
/// SigV4 with Herald's own signer, and Standard Webhooks signatures with the same HMAC the
/// intake verifies with. For SigV4 the `Host` header is set explicitly, so that the value
/// signed is the value libcurl sends (`127.0.0.1:PORT` for a test double, the bare host on
/// the default port).
public struct OpenSSLRequestSigner: RequestSigner {
    private let primitives = OpenSSLAuthenticator()

    public init() {}

    public func sign(_ request: OutboundRequest, at milliseconds: Int64) -> OutboundRequest {
        guard let signing = request.signing else { return request }
        switch signing {
        case .awsSigV4(let credentials, let region, let service):
            return signSigV4(request, credentials: credentials, region: region, service: service, at: milliseconds)
        case .standardWebhooks(let secret, let id):
            return signStandardWebhooks(request, secret: secret, id: id, at: milliseconds)
        }
    }

    private func signSigV4(_ request: OutboundRequest, credentials: AWSCredentials, region: String, service: String, at milliseconds: Int64)
        -> OutboundRequest
    {
        guard let components = URLComponents(string: request.url), let host = components.host else { return request }
        let defaultPort = components.scheme == "http" ? 80 : 443
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (components.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
        var headers = request.headers.filter { $0.name.lowercased() != "host" }
        headers.insert(HTTPField("Host", hostHeader), at: 0)
        let added = SigV4.sign(
            method: request.method, host: hostHeader, path: components.percentEncodedPath, query: components.percentEncodedQuery ?? "",
            headers: headers.map { ($0.name, $0.value) }, body: request.body, credentials: credentials, region: region,
            service: service, at: milliseconds, primitives: primitives)
        var signed = request
        signed.headers = headers + added.map { HTTPField($0.name, $0.value) }
        return signed
    }

    /// The three `webhook-*` headers after the request's own (any it had are replaced): the
    /// timestamp is this send's, so a retry carries the same id with a fresh timestamp and
    /// signature.
    private func signStandardWebhooks(_ request: OutboundRequest, secret: WebhookSecret, id: String, at milliseconds: Int64) -> OutboundRequest {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let signature = WebhookVerifier(secrets: [secret], authenticator: primitives).sign(id: id, timestamp: seconds, body: request.body)
        let names: Set<String> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        var signed = request
        signed.headers = request.headers.filter { !names.contains($0.name.lowercased()) } + [
            HTTPField("webhook-id", id), HTTPField("webhook-timestamp", String(seconds)), HTTPField("webhook-signature", signature),
        ]
        return signed
    }
}
