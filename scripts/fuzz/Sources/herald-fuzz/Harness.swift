// libFuzzer target over HeraldCore's parsers and builders: everything that sees bytes from
// outside (webhook headers and bodies, templates, relay replies, secrets). Built and run by
// scripts/fuzz.sh. A crash, a sanitizer report or a broken invariant below is a bug.
import CFuzzerDriver
import Foundation
import HeraldCore

@main
enum HeraldFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data else { return 0 }
            return fuzzOne(data, size)
        })
    }
}

private let shipped: TemplateSet = {
    let root = ProcessInfo.processInfo.environment["HERALD_FUZZ_TEMPLATES"] ?? "templates"
    var sources: [String: String] = [:]
    if let walker = FileManager.default.enumerator(atPath: root) {
        while let path = walker.nextObject() as? String {
            guard path.hasSuffix(".mustache"), let text = try? String(contentsOfFile: root + "/" + path, encoding: .utf8) else { continue }
            sources[path] = text
        }
    }
    precondition(!sources.isEmpty, "no templates under \(root)")
    return TemplateSet(sources: sources)
}()
private let composer = MessageComposer(templates: shipped)

private struct FixedAuthenticator: MessageAuthenticator {
    func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] { Array(repeating: UInt8(truncatingIfNeeded: message.count), count: 32) }
}

/// What Herald hands to a relay: 7-bit (but for a UTF-8 recipient in the To header, sent
/// with SMTPUTF8), CRLF only, lines within RFC 5322's 998, and no header line that the
/// builder did not write.
private func checkMIME(_ data: [UInt8], utf8To: Bool = false) {
    var lineLength = 0
    var inHeaders = true
    var line: [UInt8] = []
    for (index, byte) in data.enumerated() {
        let inTo = inHeaders && line.starts(with: Array("To: ".utf8))
        precondition(byte < 0x80 || (utf8To && inTo), "8-bit byte in the message")
        if byte == 0x0D { precondition(index + 1 < data.count && data[index + 1] == 0x0A, "bare CR"); continue }
        if byte == 0x0A {
            precondition(index > 0 && data[index - 1] == 0x0D, "bare LF")
            if inHeaders {
                if line.isEmpty {
                    inHeaders = false
                } else if line[0] != 0x20 && line[0] != 0x09 {
                    let name = String(decoding: line.prefix { $0 != 0x3A }, as: UTF8.self)
                    let known = ["From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
                                 "Content-Transfer-Encoding"]
                    precondition(known.contains(name), "unexpected header line: \(name)")
                }
            }
            line.removeAll(keepingCapacity: true)
            lineLength = 0
            continue
        }
        line.append(byte)
        lineLength += 1
        precondition(lineLength <= 998, "line longer than 998 characters")
    }
}

func fuzzOne(_ pointer: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: pointer + 1, count: size - 1))
    let text = String(decoding: input, as: UTF8.self)
    switch pointer[0] % 6 {
    case 0:  // a webhook body at intake, then as the worker reads it
        _ = ClerkEvent.decide(body: input)
        if let value = try? JSONValue.parse(input) {
            let again = try? JSONValue.parse(Array(value.serialized().utf8))
            precondition(again == value, "JSON does not survive serialisation")
        }
    case 1:  // the whole delivery path for an event: compose with the shipped templates, build the email
        for channel in [Channel.email, .sms] {
            guard let (composed, event) = try? composer.compose(channel: channel, payload: input) else { continue }
            let data = event["data"] ?? .null
            let recipient = (channel == .email ? data["to_email_address"] : data["to_phone_number"])?.stringValue ?? "user@example.com"
            let claimed = ClaimedMessage(
                id: 7, channel: channel, slug: data["slug"]?.stringValue, recipient: recipient,
                clerkID: data["id"]?.stringValue, attempts: 0, createdAt: 1, expiresAt: 2, payload: input)
            let settings = EmailSettings(domain: "example.com")
            if case .email(let envelope)? = try? OutgoingAssembler.assemble(
                claimed, event: event, composed: composed, settings: settings, now: 1_700_000_000_000, boundary: "b1") {
                checkMIME(envelope.data, utf8To: envelope.needsSMTPUTF8)
            }
        }
    case 2:  // a template someone wrote, rendered with data from an event
        guard let template = try? Template(text) else { return 0 }
        let data: JSONValue = .object(["name": .string("<Ana & \"Bo\">"), "list": .array([.int(1), .bool(true), .null]),
                                       "nested": .object(["deep": .string("x")])])
        _ = template.render(data)
        _ = try? template.renderStrict(data, escaping: .none, partials: PartialDictionary(["p": template]))
    case 3:  // signature headers, one per line: name: value
        var headers: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...])
        }
        let verifier = WebhookVerifier(secrets: [WebhookSecret(key: Array(repeating: 1, count: 24))], authenticator: FixedAuthenticator())
        _ = try? verifier.verify(headers: { headers[$0] }, body: input, now: 1_700_000_000)
        _ = try? WebhookSecret.parseList(text)
    case 4:  // addresses, from events and from configuration, into headers
        _ = Recipient.isValidEmail(text)
        _ = Recipient.isValidPhone(text)
        if let address = try? MailAddress(parsing: text) {
            let message = MIMEMessage(
                from: address, to: address, replyTo: address, subject: text, text: text, html: text, date: 0,
                messageID: "m@example.com", boundary: "b1")
            checkMIME(message.build())
        }
    default:  // what a relay answers
        _ = SMTPReply.classify(curlCode: Int(input.first ?? 0), replyCode: Int(input.dropFirst().first ?? 0) * 3, lastReply: text)
        _ = SMTPReply.queueID(text)
    }
    return 0
}
