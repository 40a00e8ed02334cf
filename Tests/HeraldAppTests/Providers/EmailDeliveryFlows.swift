import Foundation
import HeraldCore
import HeraldCurl
import HeraldProviders
import HeraldTestSupport
import Testing

/// The end-to-end checks every JSON email provider passes (SendGrid, Postmark, Resend):
/// `herald serve` with `HERALD_EMAIL_URL` pointing at the provider's double,
/// `herald simulate email`, then `herald show --json`. Each provider's suite adds what
/// is its own.
enum EmailDeliveryFlows {
    typealias Gateway = ServeDeliveryTests.Gateway

    static let from = "Example <no-reply@example.com>"
    static let recipient = "ana@example.org"

    static func gateway(_ url: String, config: String = Gateway.fastDelivery) throws -> Gateway {
        try Gateway.withProviders(["HERALD_EMAIL_URL": url, "HERALD_EMAIL_FROM": from], config: config)
    }

    /// A gateway with one simulated sign-in code on its way.
    static func sending(_ url: String, config: String = Gateway.fastDelivery) throws -> Gateway {
        let gateway = try gateway(url, config: config)
        #expect(try gateway.herald("simulate", "email", "--to", recipient).0 == 0)
        return gateway
    }

    /// Delivered, the provider's id recorded with the attempt, the key nowhere in Herald's
    /// output or files. Returns the body the provider received.
    static func delivered<D: EmailAPIDouble>(_: D.Type, name: String, code: Int) throws -> JSONValue {
        let provider = try D([.accept])
        let gateway = try sending(provider.url)
        let shown = try #require(try gateway.waitForStatus(1, "sent"))
        let sent = try #require(provider.sent.first)
        #expect(provider.sent.count == 1)
        let attempt = try #require(shown.attempts.first)
        #expect(attempt["provider"] == .string(name))
        #expect(attempt["code"] == .int(Int64(code)))
        #expect(attempt["provider_id"] == .string(sent.id))
        let (_, log, _) = try gateway.herald("log", "--json")
        #expect(log.contains("\"status\":\"sent\""))
        #expect(gateway.stop() == 0)
        #expect(gateway.child.waitFor { $0.stderr.contains("email via \(name)") })
        #expect(!gateway.child.stderr.contains(D.secret))
        #expect(!gateway.child.stdout.contains(D.secret))
        #expect(!gateway.storedBytes().contains(D.secret))
        return sent.body
    }

    /// The provider's recipient error: failed at once, its code recorded, never retried.
    static func recipientErrorFailsAtOnce<D: EmailAPIDouble>(_: D.Type, lastError: String, providerCode: String?) throws {
        let provider = try D([.recipientError])
        let gateway = try sending(provider.url)
        let shown = try #require(try gateway.waitForStatus(1, "failed"))
        #expect(shown["last_error"] == .string(lastError))
        #expect(shown.attempts.count == 1)
        #expect(shown.attempts.first?["provider_code"] == providerCode.map(JSONValue.string) ?? .null)
        #expect(shown.attempts.first?["outcome"] == .string("permanent"))
        Thread.sleep(forTimeInterval: 1.2)
        #expect(provider.double.requests.count == 1)
        #expect(provider.sent.isEmpty)
        gateway.stop()
    }

    /// A 429 (waiting as asked) and an outage, then accepted.
    static func retriedUntilAccepted<D: EmailAPIDouble>(_: D.Type, codes: [Int]) throws {
        let provider = try D([.rateLimited(retryAfter: "1"), .unavailable, .accept])
        let gateway = try sending(provider.url)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        let outcomes = shown.attempts.map { [$0["outcome"]?.stringValue ?? "", $0["code"].map { $0.serialized() } ?? ""] }
        #expect(outcomes == zip(["retryable", "retryable", "delivered"], codes).map { [$0, String($1)] })
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix("rate_limited (429") == true)
        #expect(provider.sent.count == 1)
        gateway.stop()
    }

    /// The provider accepts the first request but answers after Herald gave up waiting:
    /// retried, and sent (`sends` times at the provider). Returns the gateway's stderr.
    @discardableResult
    static func hangIsRetried<D: EmailAPIDouble>(_: D.Type, seconds: Double = 3, sends: Int, config: String = Gateway.fastDelivery) throws
        -> String
    {
        let provider = try D([.hang(seconds: seconds), .accept])
        let gateway = try sending(provider.url, config: config)
        let shown = try #require(try gateway.waitForStatus(1, "sent", timeout: 20))
        #expect(shown.attempts.count >= 2)
        #expect(shown.attempts.first?["error"]?.stringValue?.hasPrefix("timeout") == true)
        #expect(provider.sent.count == sends)
        #expect(shown.attempts.last?["provider_id"] == provider.sent.last.map { .string($0.id) })
        #expect(gateway.stop() == 0)
        return gateway.child.stderr
    }

    /// A key the provider refuses: retried (an operator can mend it) and logged as an error.
    static func wrongKeyIsRetriedAndLoud<D: EmailAPIDouble>(_: D.Type, lastError: String) throws {
        let provider = try D([.accept])
        let gateway = try sending(provider.url.replacingOccurrences(of: D.secret, with: "not-the-key"))
        let shown = try #require(try gateway.waitForStatus(1, "retrying"))
        #expect(shown["last_error"] == .string(lastError))
        #expect(gateway.child.waitFor(timeout: 5) { $0.stderr.contains("refused Herald's credentials") })
        gateway.stop()
        #expect(!gateway.child.stderr.contains("not-the-key"))
        #expect(provider.sent.isEmpty)
    }

    /// `serve` refuses to start and `check` fails, both naming the variable and the problem,
    /// neither showing `secret`.
    static func malformedURLStopsServe(_ url: String, _ expected: String, secret: String) throws {
        let folder = try temporaryFolder()
        let (status, _, stderr) = try Child.run(
            ["serve"],
            environment: [
                "HERALD_EMAIL_URL": url, "HERALD_EMAIL_FROM": from, "HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_LISTEN": "127.0.0.1:0",
                "HERALD_DATABASE": folder.appendingPathComponent("h.db").path,
            ], directory: folder)
        #expect(status == 1)
        #expect(stderr.contains("Error: HERALD_EMAIL_URL: "))
        #expect(stderr.contains(expected), "\(stderr)")
        #expect(!stderr.contains(secret))
        let (checkStatus, checkOut, checkErr) = try Child.run(["check"], environment: ["HERALD_EMAIL_URL": url], directory: folder)
        #expect(checkStatus == 1)
        #expect((checkOut + checkErr).contains(expected))
        #expect(!(checkOut + checkErr).contains(secret))
    }

    /// The adapter `url` names, as the catalog makes it.
    static func adapter(_ url: String) throws -> any ProviderAdapter {
        guard case .http(let adapter) = try ProviderCatalog.provider(url, channel: .email, environment: ProviderEnvironment(ehloName: "herald.test"))
        else { throw ProviderURLError.invalid("\(url) is not an HTTP provider") }
        return adapter
    }

    /// The probe of `url`'s adapter over libcurl, and its verdict.
    static func probe(_ url: String) throws -> ProbeVerdict {
        let adapter = try adapter(url)
        let request = try #require(adapter.probe())
        return adapter.judgeProbe(try CurlHTTPTransport().perform(request))
    }

    /// One attempt at sending `message` through `url`'s adapter over libcurl, waiting at
    /// most `timeout` milliseconds for the answer.
    static func send(_ url: String, _ message: OutgoingMessage, context: SendContext, timeout: Int = 10_000) throws -> DeliveryOutcome {
        let adapter = try adapter(url)
        var settings = HTTPTransportSettings()
        settings.totalTimeoutMilliseconds = timeout
        let transport = try CurlHTTPTransport(settings: settings)
        return adapter.classify(transport.perform(try adapter.request(for: message, context: context)), context: context)
    }

    static func email(subject: String = "482913 is your code") throws -> OutgoingMessage {
        .email(Email(
            from: try MailAddress(parsing: from), to: try MailAddress(address: recipient), subject: subject, text: "482913", html: nil,
            messageID: "m1@example.com", date: 0, boundary: "b"))
    }
}
