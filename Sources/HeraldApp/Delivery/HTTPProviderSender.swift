import HeraldCore

/// An HTTP provider on the seam: the adapter's pure request builder and classifier around
/// one transport (libcurl in production, a scripted one in tests), with the request signed
/// just before it leaves when the adapter asks for it.
final class HTTPProviderSender: MessageSender {
    let adapter: any ProviderAdapter
    private let transport: any HTTPTransport
    private let signer: (any RequestSigner)?

    var name: String { adapter.name }
    let kind = "http"

    init(adapter: any ProviderAdapter, transport: any HTTPTransport, signer: (any RequestSigner)?) {
        self.adapter = adapter
        self.transport = transport
        self.signer = signer
    }

    func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome {
        var request: OutboundRequest
        do {
            request = try adapter.request(for: message, context: context)
        } catch {
            return .failed(Failure(error.code, scope: .recipient, detail: error.detail))
        }
        if request.signing != nil {
            guard let signer else { return .failed(Failure(.misconfigured, scope: .provider, detail: "no request signer")) }
            request = signer.sign(request, at: Clock.nowMilliseconds())
        }
        return adapter.classify(transport.perform(request), context: context)
    }
}
