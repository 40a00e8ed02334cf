import Foundation
import HeraldCore
import HeraldTestSupport
import Testing

/// The delivery engine's settings as `herald serve` applies them: how many workers, how
/// many attempts, the backoff, expiry per slug, the lease, and intake-only mode. A provider
/// double stands in for Twilio where an attempt must fail.
@Suite(.serialized) struct DeliverySettingsTests {
    /// The sending threads, once there are `count` of them (each names itself when it runs).
    func senderThreads(_ gateway: ServeGateway, count: Int) -> [String] {
        var names: [String] = []
        _ = gateway.child.waitFor(timeout: 5) { _ in
            names = gateway.threadNames.filter { $0.hasPrefix("herald-send-") }
            return names.count >= count
        }
        return names
    }

    @Test(arguments: [(Via.environment, 12), (.file, 5)])
    func workersAreThatManySendingThreads(_ via: Via, _ count: Int) throws {
        let gateway = try ServeGateway.with("HERALD_WORKERS", key: "delivery.workers", .int(Int64(count)), via: via)
        #expect(senderThreads(gateway, count: count) == (0..<count).map { "herald-send-\($0)" }.sorted())
        #expect(gateway.child.waitFor { $0.stderr.contains("\(count) workers") })
        #expect(gateway.stop() == 0)
    }

    @Test func theWorkersVariableWinsOverTheFile() throws {
        let gateway = try ServeGateway.configured(#"{"delivery": {"workers": 5}}"#, ["HERALD_WORKERS": "2"])
        #expect(senderThreads(gateway, count: 2) == ["herald-send-0", "herald-send-1"])
        #expect(gateway.stop() == 0)
    }

    @Test func maxAttemptsIsWhenAMessageFails() throws {
        let twilio = try TwilioDouble([.unavailable])
        let gateway = try ServeGateway.configured(
            #"{"delivery": {"max_attempts": 2, "retry_base_seconds": 1, "retry_max_seconds": 1}}"#, ["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.post() == 200)
        let failed = try #require(try gateway.waitForStatus(1, "failed"))
        #expect(failed.attempts.count == 2)
        #expect(failed["last_error"]?.stringValue?.hasSuffix("gave up after 2 attempts") == true, "\(failed)")
        #expect(twilio.double.requests.count == 2)
        #expect(gateway.stop() == 0)
    }

    /// The first retry's delay, as the history tells it ("next attempt in N s"): the base
    /// (±20% jitter), or the maximum when the base is above it.
    @Test(arguments: [(#"{"retry_base_seconds": 5}"#, 4...6), (#"{"retry_base_seconds": 60, "retry_max_seconds": 3}"#, 3...4)])
    func backoffStartsAtTheBaseAndStaysUnderTheMaximum(_ delivery: String, _ seconds: ClosedRange<Int>) throws {
        let twilio = try TwilioDouble([.unavailable])
        let gateway = try ServeGateway.configured(#"{"delivery": \#(delivery)}"#, ["HERALD_SMS_URL": twilio.url])
        #expect(try gateway.post() == 200)
        let retrying = try #require(try gateway.waitForStatus(1, "retrying"))
        guard case .array(let history)? = retrying["history"], let detail = history.last?["detail"]?.stringValue,
            let range = detail.range(of: #"next attempt in \d+ s"#, options: .regularExpression),
            let delay = Int(detail[range].split(separator: " ")[3])
        else {
            Issue.record("no retry in the history: \(retrying)")
            return
        }
        #expect(seconds.contains(delay), "\(detail)")
        #expect(gateway.stop() == 0)
    }

    /// Ages per slug and a default: a code an hour old is sent under `verification_code:
    /// 2h` (the built-in 10 minutes would expire it); another slug 90 minutes old expires
    /// under `default: 1h` (the built-in 24 hours would send it).
    @Test func maxAgeIsPerSlugWithADefault() throws {
        let gateway = try ServeGateway.configured(#"{"delivery": {"max_age": {"verification_code": "2h", "default": "1h"}}}"#)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(try gateway.post(body: try freshFixture("sms.created", at: now - 3_600_000)) == 200)
        let other = String(decoding: try freshFixture("sms.created", at: now - 5_400_000), as: UTF8.self)
            .replacingOccurrences(of: #""slug": "verification_code""#, with: #""slug": "account_notice""#)
        #expect(try gateway.post(body: Array(other.utf8)) == 200)
        #expect(try gateway.waitForStatus(1, "sent")?["status"] == .string("sent"))
        #expect(try gateway.waitForStatus(2, "expired")?["status"] == .string("expired"))
        #expect(gateway.outbox("sms/2.json") == nil)
        #expect(gateway.stop() == 0)
    }

    /// A process frozen mid-send (SIGSTOP: alive, but renewing nothing) holds its claim for
    /// `lease_seconds`; then a second process on the same store takes the message over
    /// and sends it. With the default 30 s the second would still be waiting.
    @Test func aClaimLastsTheLeaseWithoutItsProcess() throws {
        let twilio = try TwilioDouble([.hang(seconds: 30), .accept])
        defer { twilio.double.stop() }
        let frozen = try ServeGateway.configured(#"{"delivery": {"lease_seconds": 2}}"#, ["HERALD_SMS_URL": twilio.url])
        #expect(try frozen.post() == 200)
        #expect(twilio.double.waitForRequests(1).count == 1)
        kill(frozen.child.process.processIdentifier, SIGSTOP)
        defer {
            kill(frozen.child.process.processIdentifier, SIGKILL)
            _ = frozen.child.wait()
        }
        var environment = frozen.environment
        environment["HERALD_LISTEN"] = "127.0.0.1:0"
        let second = try Child(["serve"], environment: environment, directory: frozen.folder)
        let sent = try frozen.waitForStatus(1, "sent", timeout: 12)
        #expect(sent?["status"] == .string("sent"))
        #expect(sent?.attempts.count == 1)
        #expect(twilio.accepted.count == 2)  // the frozen request too: it had arrived
        second.process.terminate()
        #expect(second.wait() == 0)
    }

    /// HERALD_DELIVERY=off (any case) and --no-delivery: webhooks are taken and stored, no
    /// delivery thread runs; any other value delivers.
    @Test(arguments: [
        (["HERALD_DELIVERY": "off"], ["serve"], false), (["HERALD_DELIVERY": "OFF"], ["serve"], false), ([:], ["serve", "--no-delivery"], false),
        (["HERALD_DELIVERY": "on"], ["serve"], true),
    ])
    func intakeOnlyStoresAndSendsNothing(_ environment: [String: String], _ arguments: [String], _ delivers: Bool) throws {
        let gateway = try ServeGateway.configured(nil, environment, arguments: arguments)
        #expect(gateway.child.stderr.contains("delivery=\"off (intake only)\"") == !delivers)
        // Delivering: the threads start; intake only: they never do (the start line comes after).
        #expect(gateway.child.waitFor(timeout: delivers ? 5 : 0) { _ in gateway.threadNames.contains("herald-dispatch") } == delivers)
        #expect(gateway.threadNames.contains { $0.hasPrefix("herald-send-") || $0 == "herald-lease" } == delivers)
        #expect(try gateway.post() == 200)
        if delivers {
            #expect(gateway.waitForOutbox("sms/1.json") != nil)
        } else {
            #expect(try gateway.herald("log", "--json").1.contains("\"status\":\"queued\""))
        }
        #expect(gateway.stop() == 0)
    }
}
