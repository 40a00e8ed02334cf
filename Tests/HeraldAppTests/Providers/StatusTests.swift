import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Testing

/// `herald status` and `GET /status` with two Twilio doubles: the primary down, the
/// secondary delivering.
@Suite(.serialized) struct StatusTests {
    @Test func statusShowsEachProviderItsCircuitItsFiguresAndTheQueue() throws {
        let primary = try TwilioDouble([.unavailable])
        let secondary = try TwilioDouble()
        let urls = primary.url + "&name=twilio-a " + secondary.url + "&name=twilio-b"
        let config = #"{"delivery": {"retry_base_seconds": 1, "provider_timeout_seconds": 1, "circuit": {"failures": 2, "cooldown_seconds": 60}}}"#
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": urls], config: config)
        for index in 0..<3 {
            #expect(try gateway.herald("simulate", "sms", "--to", "+1555555012\(index)").0 == 0)
        }
        for id in 1...3 { #expect(try gateway.waitForStatus(id, "sent")?["status"] == .string("sent")) }
        #expect(primary.double.requests.count == 2)  // its circuit opened after two failures

        let (code, json, _) = try gateway.herald("status", "--json")
        #expect(code == 0)
        let report = try JSONValue.parse(Array(json.utf8))
        #expect(report["live"] == .bool(true))
        guard case .array(let providers)? = report["providers"] else { Issue.record("no providers"); return }
        let byName = Dictionary(uniqueKeysWithValues: providers.compactMap { item in item["name"]?.stringValue.map { ($0, item) } })
        #expect(byName["twilio-a"]?["circuit"] == .string("open"))
        #expect(byName["twilio-a"]?["last_5m"]?["attempts"] == .int(2))
        #expect(byName["twilio-a"]?["last_5m"]?["success_ratio"] == .double(0))
        #expect(byName["twilio-a"]?["last_error"]?.stringValue?.hasPrefix("provider_unavailable (503, 20503)") == true)
        #expect(byName["twilio-b"]?["circuit"] == .string("closed"))
        #expect(byName["twilio-b"]?["last_60m"]?["delivered"] == .int(3))
        #expect(byName["twilio-b"]?["last_60m"]?["success_ratio"] == .double(1))
        #expect(byName["twilio-b"]?["last_5m"]?["p99_ms"] != .null)
        #expect(byName["outbox"]?["channels"] == .array([.string("email")]))
        #expect(report["queue"]?["queued"] == .int(0))

        let (_, text, _) = try gateway.herald("status")
        #expect(text.contains("twilio-a"))
        #expect(text.contains("open until"))
        #expect(text.contains("queue: 0 queued, 0 sending, 0 retrying"))

        // The serve answers GET /status with the same JSON.
        let direct = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(gateway.port)/status")
        #expect(direct.status == 200)
        #expect((try? JSONValue.parse(direct.body))?["live"] == .bool(true))

        // With no serve running, the figures still come from the store; circuits are unknown.
        gateway.stop()
        let (_, offline, _) = try gateway.herald("status", "--json")
        let stopped = try JSONValue.parse(Array(offline.utf8))
        #expect(stopped["live"] == .bool(false))
        guard case .array(let items)? = stopped["providers"] else { Issue.record("no providers"); return }
        #expect(items.allSatisfy { $0["circuit"] == .null })
        #expect(items.contains { $0["name"] == .string("twilio-b") && $0["last_60m"]?["delivered"] == .int(3) })
    }
}
