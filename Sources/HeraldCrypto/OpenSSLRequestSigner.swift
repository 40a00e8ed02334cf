import Foundation
public import HeraldCore

/// Signs provider requests as they leave (``RequestSigning``): AWS SigV4 with Herald's own
/// signer over libcrypto's hashes. The `Host` header is set explicitly, so that the value
/// signed is the value libcurl sends (`127.0.0.1:PORT` for a test double, the bare host on
/// the default port).
public struct OpenSSLRequestSigner: RequestSigner {
    private let primitives = OpenSSLAuthenticator()

    public init() {}

    public func sign(_ request: OutboundRequest, at milliseconds: Int64) -> OutboundRequest {
        guard let signing = request.signing else { return request }
        switch signing {
        case .awsSigV4(let credentials, let region, let service):
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
    }
}
