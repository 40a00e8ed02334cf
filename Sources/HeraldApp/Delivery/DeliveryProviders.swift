public import HeraldCore
public import HeraldCurl
public import HeraldProviders

/// The providers of each channel, in failover order, and how each worker makes its own
/// sender for one (a sender keeps a connection, so it is never shared between threads).
public struct DeliveryProviders: Sendable {
    public var email: [ProviderDefinition]
    public var sms: [ProviderDefinition]
    /// Where the outbox writes.
    public var outboxPath: String
    public var http: HTTPTransportSettings
    public var signer: (any RequestSigner)?

    public init(
        email: [ProviderDefinition] = [], sms: [ProviderDefinition] = [], outboxPath: String = "var/outbox",
        http: HTTPTransportSettings = HTTPTransportSettings(), signer: (any RequestSigner)? = nil
    ) {
        self.email = email
        self.sms = sms
        self.outboxPath = outboxPath
        self.http = http
        self.signer = signer
    }

    /// The channel's providers; the outbox when none is configured.
    public func route(for channel: Channel) -> [ProviderDefinition] {
        let configured = channel == .email ? email : sms
        return configured.isEmpty ? [.outbox(name: "outbox")] : configured
    }

    /// A new sender for `definition`, for one worker thread.
    public func makeSender(_ definition: ProviderDefinition) throws -> any MessageSender {
        switch definition {
        case .outbox(let name): return OutboxSender(root: outboxPath, name: name)
        case .smtp(let name, let settings): return try SMTPSender(name: name, settings: settings)
        case .http(let adapter): return HTTPProviderSender(adapter: adapter, transport: try CurlHTTPTransport(settings: http), signer: signer)
        }
    }

    /// One line per channel for the start-up log: `twilio, outbox`; never a credential.
    public func summary(for channel: Channel) -> String {
        route(for: channel).map { definition in
            switch definition {
            case .smtp(let name, let settings): "\(name) \(settings)"
            case .outbox(let name): "\(name) \(outboxPath)"
            case .http(let adapter): adapter.name
            }
        }.joined(separator: ", ")
    }
}
