import Foundation
import HeraldCore
import HeraldCrypto
import HeraldCurl

/// `herald simulate`: sign and post a realistic event to a running gateway.
enum SimulateCommand {
    static let usage = "herald simulate email|sms [--slug S] [--to ADDR] [--event FILE [--now]] [--url URL] [--id MSG_ID] [--delivered-by-clerk]"

    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: ["slug", "to", "event", "url", "id"], flags: ["delivered-by-clerk", "now"])
        guard parsed.positionals.count == 1, let channel = Channel(rawValue: parsed.positionals[0]) else {
            throw UsageError("Usage: \(usage)")
        }
        let configuration = try Configuration.load(environment: environment)
        var secrets = configuration.secrets
        if secrets.isEmpty {
            secrets = try WebhookSecret.parseList(Configuration.developmentSecret)
            output.writeError("note: no HERALD_WEBHOOK_SECRET set; signing with the development secret ('herald serve --dev' accepts it)\n")
        }

        let body = try buildBody(channel: channel, parsed: parsed)
        if parsed.value("event") != nil, !parsed.flag("now"), case .int(let stamp)? = (try? JSONValue.parse(body))?["timestamp"],
            let occurred = ClerkEvent.eventTime(stamp), Clock.nowMilliseconds() - occurred > 10 * 60_000
        {
            output.writeError(
                "note: Clerk created this event \(formatDuration((Clock.nowMilliseconds() - occurred) / 60_000 * 60_000)) ago; "
                    + "a code or link that old expires instead of being sent (--now gives it the current time)\n")
        }
        let webhookID = try parsed.value("id") ?? randomWebhookID()
        let timestamp = Clock.nowMilliseconds() / 1000
        let verifier = WebhookVerifier(secrets: secrets, authenticator: OpenSSLAuthenticator())
        let signature = verifier.sign(id: webhookID, timestamp: timestamp, body: body)
        let url = parsed.value("url") ?? configuration.localURL

        let response: ClientResponse
        do {
            response = try HTTPClient().send(
                method: "POST", url: url,
                headers: [
                    "Content-Type": "application/json", "User-Agent": "herald-simulate/\(CLI.version)",
                    "svix-id": webhookID, "svix-timestamp": String(timestamp), "svix-signature": signature,
                ],
                body: body)
        } catch let error as CurlError where error.isConnectionFailure {
            throw CommandError("cannot reach \(url) (\(error.message)); is 'herald serve' running?")
        }
        let text = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        output.write("POST \(url) svix-id=\(TerminalText.escape(webhookID))\nHTTP \(response.status) \(TerminalText.escape(text))\n")
        guard (200..<300).contains(response.status) else {
            throw CommandError("the gateway answered HTTP \(response.status)")
        }
    }

    static func buildBody(channel: Channel, parsed: Arguments) throws -> [UInt8] {
        let modifies = parsed.value("slug") != nil || parsed.value("to") != nil || parsed.flag("delivered-by-clerk") || parsed.flag("now")
        var source: [UInt8]
        if let file = parsed.value("event") {
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("cannot read \(file)") }
            source = [UInt8](data)
            if !modifies { return source }
        } else {
            source = Array((channel == .email ? SampleEvents.email : SampleEvents.sms).utf8)
        }
        guard case .object(var root) = try? JSONValue.parse(source), case .object(var data) = root["data"] else {
            throw CommandError("the event is not a JSON object with a \"data\" object")
        }
        if parsed.value("event") == nil || parsed.flag("now") {
            data["id"] = .string((channel == .email ? "ema_" : "sms_") + randomToken(27))
        }
        if parsed.value("event") == nil || parsed.flag("now") { root["timestamp"] = .int(Clock.nowMilliseconds()) }
        if let slug = parsed.value("slug") { data["slug"] = .string(slug) }
        if let to = parsed.value("to") { data[channel == .email ? "to_email_address" : "to_phone_number"] = .string(to) }
        if parsed.flag("delivered-by-clerk") { data["delivered_by_clerk"] = .bool(true) }
        root["data"] = .object(data)
        return Array(JSONValue.object(root).serialized().utf8)
    }

    static func randomWebhookID() throws -> String {
        "msg_" + randomToken(27)
    }

    static func randomToken(_ length: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let bytes = Digest.randomBytes(length) ?? (0..<length).map { _ in UInt8.random(in: 0...255) }
        return String(bytes.map { alphabet[Int($0) % alphabet.count] })
    }
}
