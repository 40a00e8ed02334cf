import Foundation
public import HeraldCore

/// Mailgun's Messages API (../shared/reference/providers.md section 3):
/// `mailgun://API_KEY:DOMAIN@default[?region=us|eu]` (also `mailgun+api://`, Symfony's
/// spelling). A key works only in its own region; `?endpoint=` replaces the base URL.
public struct MailgunAdapter: ProviderAdapter {
    public let name: String
    public let channel = Channel.email
    let apiKey: String
    /// The sending domain (`mg.example.com`), in the path of every request.
    public let domain: String
    /// `us`, `eu`, or `custom` for another host or `?endpoint=`.
    public let region: String
    public let base: String

    public static let options = ["region"]
    static let regions = ["us": "https://api.mailgun.net", "eu": "https://api.eu.mailgun.net"]

    public init(url: ProviderURL) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: Self.options)
        name = options.name
        apiKey = try options.user("the API key")
        domain = try options.password("the sending domain (e.g. mg.example.com)").lowercased()
        guard Self.isDomainName(domain) else {
            throw .invalid("the sending domain after the : must be a domain name such as mg.example.com: mailgun://API_KEY:DOMAIN@default")
        }
        switch url.option("region") {
        case nil:
            region = url.isDefaultHost && url.option("endpoint") == nil ? "us" : "custom"
        case let given?:
            let known = given.lowercased()
            guard Self.regions[known] != nil else { throw .invalid("region must be us or eu") }
            guard url.isDefaultHost, url.option("endpoint") == nil else {
                throw .invalid("give ?region= with @default, or another host or ?endpoint=, not both")
            }
            region = known
        }
        base = try options.base(default: Self.regions[region] ?? "https://api.mailgun.net")
    }

    /// Letters, digits, `-` and `.` in labels of 1 to 63, at least two labels: what a
    /// sending domain is, and all that may go into the path unescaped.
    static func isDomainName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return text.utf8.count <= 253 && labels.count >= 2
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "-") }
            }
    }

    var credential: HTTPField { Credentials.basic("api", apiKey) }

    public func request(for message: OutgoingMessage, context: SendContext) throws(AssemblyError) -> OutboundRequest {
        let email = try EmailJSON.email(message, provider: "mailgun")
        var fields = [("from", EmailJSON.string(email.from)), ("to", email.to.address), ("subject", email.subject)]
        if let text = email.text { fields.append(("text", text)) }
        if let html = email.html { fields.append(("html", html)) }
        if let replyTo = email.replyTo { fields.append(("h:Reply-To", EmailJSON.string(replyTo))) }
        if let slug = context.slug {
            let tag = String(slug.unicodeScalars.filter(EmailJSON.isTagScalar).prefix(128).map(Character.init))
            if !tag.isEmpty { fields.append(("o:tag", tag)) }
        }
        // Sign-in codes and links: no rewritten links, no tracking pixel, whatever the
        // domain's settings say.
        fields += [("o:tracking", "no"), ("o:tracking-clicks", "no"), ("o:tracking-opens", "no")]
        // Mailgun's events and webhooks carry the v: variables: they name the message.
        fields += EmailJSON.correlation(context).map { ("v:" + $0.name, $0.value) }
        return OutboundRequest(
            method: "POST", url: "\(base)/v3/\(domain)/messages",
            headers: [
                credential, HTTPField("Content-Type", "application/x-www-form-urlencoded"), HTTPField("Accept", "application/json"),
            ],
            body: FormEncoding.encode(fields))
    }

    public func classify(_ exchange: Exchange, context: SendContext) -> DeliveryOutcome {
        exchange.outcome { answer in
            // {"id":"<20251122101800.1.ABCDEF0123@mg.example.com>","message":"Queued. Thank you."}
            let json = answer.json
            if (200..<300).contains(answer.status) {
                return .delivered(providerID: json?["id"]?.stringValue.map(Self.bareMessageID), code: answer.status)
            }
            // {"message":"..."}; a 401 is the text "Forbidden" (an HTML page says nothing).
            let text = answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let message = json?["message"]?.stringValue ?? (json == nil && !text.hasPrefix("<") ? text : nil)
            let detail = ProviderClassification.excerpt(message)
            if let known = Self.meaning(status: answer.status, message: message ?? "") {
                return .failed(Failure(known.code, scope: known.scope, status: answer.status, detail: detail))
            }
            var failure = ProviderClassification.failure(status: answer.status, headers: answer.headers, now: context.now, detail: detail)
            if answer.status == 429 { failure.retryAfter = Self.rateLimitWait(answer, message: message, now: context.now) }
            return .failed(failure)
        }
    }

    /// The Message-ID without its angle brackets: the form Herald's own Message-ID takes
    /// (``Email/messageID``) and the one Mailgun's events and webhooks give
    /// (`message.headers.message-id`), so that the recorded id finds the message there.
    static func bareMessageID(_ id: String) -> String {
        let trimmed = id.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("<"), trimmed.hasSuffix(">"), trimmed.count > 2 else { return trimmed }
        return String(trimmed.dropFirst().dropLast())
    }

    /// Mailgun has no error codes: the status and the message decide.
    static func meaning(status: Int, message: String) -> (code: FailureCode, scope: Failure.Scope)? {
        let text = message.lowercased()
        func names(_ field: String) -> Bool { text.hasPrefix("\(field) parameter") || text.contains("'\(field)' parameter") }
        switch status {
        case 400 where names("to") && text.contains("not a valid"):
            return (.badRecipient, .recipient)
        case 400 where names("from"), 400 where text.contains("not allowed to send"), 403 where text.contains("not allowed to send"),
            403 where text.contains("rejected"):
            // An invalid From; a sandbox domain or a free account and a recipient not on the
            // authorized list; an unverified domain, an account not activated, an IP refused.
            return (.senderRefused, .provider)
        case 404:
            // The domain is not in this region or not yet known (Mailgun is eventually
            // consistent for a new domain): retried with backoff, another provider at once.
            return (.misconfigured, .provider)
        case 413:
            return (.rejected, .recipient)  // too large: no retry makes it smaller
        default:
            return nil
        }
    }

    /// `Retry-After`, else `X-RateLimit-Reset` (Unix seconds, as mailgun-go reads it), else
    /// the time in the message ("... try again after Mon, 20 Dec 2021 20:33:21 UTC").
    static func rateLimitWait(_ answer: HTTPAnswer, message: String?, now: Int64) -> Int64? {
        if let wait = RateLimitReset.milliseconds(answer.headers, now: now, reset: "X-RateLimit-Reset", form: .epochSeconds) { return wait }
        guard let message, let range = message.range(of: "try again after ") else { return nil }
        var date = message[range.upperBound...].trimmingCharacters(in: .whitespaces)
        if date.hasSuffix(" UTC") { date = date.dropLast(3) + "GMT" }
        return RetryAfter.milliseconds(date, now: now)
    }

    /// The sending domain: whether this key may see it, and whether it can send. Nothing is sent.
    public func probe() -> OutboundRequest? {
        OutboundRequest(method: "GET", url: "\(base)/v4/domains/\(domain)", headers: [credential, HTTPField("Accept", "application/json")])
    }

    public func judgeProbe(_ exchange: Exchange) -> ProbeVerdict {
        guard case .answered(let answer) = exchange else { return ProbeVerdict.standard(exchange) }
        switch answer.status {
        case 200:
            break
        case 401:
            return .problem(
                "Mailgun refuses the key (HTTP 401): check the key and the region (a key works only in its own region; a domain sending key may send but not read the domain)")
        case 404:
            return .problem("Mailgun does not know the domain \(domain) \(place) (HTTP 404): check the domain and ?region= (a domain added minutes ago may not show yet)")
        default:
            return ProbeVerdict.standard(exchange)
        }
        // {"domain":{"name":"mg.example.com","state":"active","type":"custom","is_disabled":false,...},...}
        // (the answer holds the domain's SMTP credentials too: only these fields are read)
        let info = answer.json?["domain"]
        let state = info?["state"]?.stringValue ?? "unknown"
        if info?["is_disabled"]?.boolValue == true || state == "disabled" || (info?["disabled"].map { !$0.isNull } ?? false) {
            let reason = (info?["disabled"]?["reason"]?.stringValue).flatMap { ProviderClassification.excerpt($0) }.map { ": \($0)" } ?? ""
            return .problem("the domain \(domain) is disabled\(reason)")
        }
        guard state == "active" else {
            return .problem("the domain \(domain) is \(ProviderClassification.excerpt(state) ?? "unknown"), not active: Mailgun sends from it once its DNS records are verified")
        }
        if info?["type"]?.stringValue == "sandbox" {
            return .problem("the domain \(domain) is a sandbox domain: Mailgun delivers only to its authorized recipients")
        }
        return .ok("the key is accepted and the domain \(domain) is active \(place)")
    }

    /// `in the us region`, or the base URL when it is not a region's.
    var place: String { region == "custom" ? "at \(base)" : "in the \(region) region" }
}
