import HeraldCore
import HeraldCurl

/// SMTP on the provider seam: the MIME message is built here (the one place besides SES
/// raw that needs it), the libcurl transport reports what happened, ``SMTPReply`` decides
/// what it means.
final class SMTPSender: MessageSender {
    let name: String
    let kind = "smtp"
    private let transport: SMTPTransport

    init(name: String, settings: SMTPSettings) throws {
        self.name = name
        transport = try SMTPTransport(settings: settings)
    }

    func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome {
        guard case .email(let email) = message else {
            return .failed(Failure(.misconfigured, scope: .recipient, detail: "SMTP sends email only"))
        }
        let exchange = transport.send(from: email.from.address, to: email.to.address, data: email.mime())
        return SMTPReply.classify(exchange, needsSMTPUTF8: email.needsSMTPUTF8)
    }
}
