import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Synchronization
import Testing

/// Signed webhooks posted by `senders` threads at once; returns the ids answered 2xx.
func postSignedBurst(port: String, ids: [String], file: String = "sms.created", senders: Int = 16, timeout: Int = 5) throws -> [String] {
    let signer = try testSigner()
    let bodies = try ids.map { _ in try freshFixture(file) }  // each a Clerk message of its own
    let acked = Mutex<[String]>([])
    let next = Mutex(0)
    let done = DispatchGroup()
    for _ in 0..<senders {
        done.enter()
        Thread {
            defer { done.leave() }
            guard let client = try? HTTPClient() else { return }
            while true {
                let index = next.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                guard index < ids.count else { return }
                let id = ids[index]
                let body = bodies[index]
                let timestamp = Int64(Date().timeIntervalSince1970)
                let headers = [
                    "svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": signer.sign(id: id, timestamp: timestamp, body: body),
                ]
                if let response = try? client.send(
                    method: "POST", url: "http://127.0.0.1:\(port)/webhooks/clerk", headers: headers, body: body, timeoutSeconds: timeout),
                    response.status == 200
                {
                    acked.withLock { $0.append(id) }
                }
            }
        }.start()
    }
    done.wait()
    return acked.withLock { $0 }
}

/// Failover through `herald serve` with two Twilio doubles on 127.0.0.1.
@Suite(.serialized) struct FailoverDeliveryTests {
    static let fast = #"{"delivery": {"workers": 8, "retry_base_seconds": 1, "retry_max_seconds": 2, "provider_timeout_seconds": 1, "circuit": {"failures": 5, "cooldown_seconds": 2}}}"#

    @Test func aPrimaryDownForABurstOf500OpensItsCircuitAndTheSecondaryDeliversEverything() throws {
        let primary = try TwilioDouble([.unavailable])
        let secondary = try TwilioDouble()
        let urls = primary.url + "&name=primary " + secondary.url + "&name=secondary"
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": urls], config: Self.fast)
        let acked = try postSignedBurst(port: gateway.port, ids: (0..<500).map { "msg_burst_\($0)" })
        #expect(acked.count == 500)
        #expect(secondary.double.waitForRequests(500, timeout: 30).count == 500)
        // Five failures opened the circuit (a few more sends were in flight, one probe per cooldown).
        let seen = primary.double.requests.count
        #expect(seen >= 5 && seen <= 25, "the primary saw \(seen) of 500")
        #expect(gateway.child.waitFor(timeout: 5) { $0.stderr.contains("provider circuit opened") })

        // The primary recovers: after the cooldown one probe succeeds and it takes over again.
        primary.switchTo([.accept])
        // Messages keep coming; within a cooldown one of them probes the primary and closes it.
        var trickle = 0
        let closing = Date().addingTimeInterval(10)
        while !gateway.child.stderr.contains("provider circuit closed") && Date() < closing {
            _ = try postSignedBurst(port: gateway.port, ids: ["msg_trickle_\(trickle)"], senders: 1)
            trickle += 1
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(gateway.child.waitFor { $0.stderr.contains("provider circuit closed") })
        Thread.sleep(forTimeInterval: 0.5)  // the trickle's last messages are delivered
        let before = secondary.double.requests.count
        let primaryBefore = primary.double.requests.count
        let later = try postSignedBurst(port: gateway.port, ids: (0..<50).map { "msg_after_\($0)" })
        #expect(later.count == 50)
        let taken = primary.double.waitForRequests(primaryBefore + 50, timeout: 20).count - primaryBefore
        #expect(taken == 50, "the primary took \(taken) of 50")
        #expect(secondary.double.requests.count == before)
        #expect(gateway.child.waitFor(timeout: 5) { $0.stderr.contains("provider circuit closed") })
        gateway.stop()
    }

    @Test func aHangingPrimaryFailsOverInTheSameRoundAndAKillNineLosesNothing() throws {
        let primary = try TwilioDouble([.hang(seconds: 5)])
        let secondary = try TwilioDouble()
        let urls = primary.url + "&name=primary " + secondary.url + "&name=secondary"
        let config = #"{"delivery": {"workers": 4, "retry_base_seconds": 1, "provider_timeout_seconds": 1, "circuit": {"failures": 1000}}}"#
        let gateway = try ServeDeliveryTests.Gateway.withProviders(["HERALD_SMS_URL": urls], config: config)
        let acked = Mutex<[String]>([])
        let port = gateway.port
        let poster = Thread {
            let ids = (0..<60).map { "msg_kill_\($0)" }
            acked.withLock { $0 = (try? postSignedBurst(port: port, ids: ids, senders: 4, timeout: 2)) ?? [] }
        }
        poster.start()
        // Mid-flight: the primary is hanging on some, the secondary has delivered others.
        #expect(secondary.double.waitForRequests(4, timeout: 15).count >= 4)
        kill(gateway.child.process.processIdentifier, SIGKILL)
        _ = gateway.child.wait()
        while !poster.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let answered = acked.withLock { $0 }
        #expect(!answered.isEmpty)
        try gateway.restart()
        // Every acknowledged message is delivered after the restart (the secondary takes it
        // within the round, after the primary's timeout).
        let deadline = Date().addingTimeInterval(40)
        var sent: Set<String> = []
        while Date() < deadline {
            let (_, log, _) = try gateway.herald("log", "--json", "--limit", "1000", "--status", "sent")
            sent = Set(log.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8))["webhook_id"]?.stringValue })
            if sent.isSuperset(of: answered) { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(sent.isSuperset(of: answered), "\(Set(answered).subtracting(sent).count) acknowledged messages not delivered")
        let (_, shown, _) = try gateway.herald("show", "1", "--json")
        let attempts = try JSONValue.parse(Array(shown.utf8)).attempts.map { $0["outcome"]?.stringValue ?? "" }
        #expect(attempts.last == "delivered")
        #expect(attempts.dropLast().allSatisfy { $0 == "failed_over" || $0 == "retryable" })
        gateway.stop()
    }
}
