import Foundation
import HeraldApp
import HeraldCore
import HeraldCrypto
import HeraldCurl
import HeraldTestSupport
import Synchronization
import Testing

/// Several `herald serve` on one PostgreSQL database, as a deployment behind a load
/// balancer runs them: each delivers to an outbox of its own, so that a message sent twice
/// shows as the same file in two outboxes.
@Suite(.serialized) struct SeveralInstancesTests {
    typealias Gateway = ServeDeliveryTests.Gateway

    /// Leases of 9 s, renewed (and the instances' liveness looked at) every 3 s, so that a
    /// killed instance's messages move on within 3 s, while a live instance that the loaded
    /// machine starves for a moment is not taken for dead.
    static func instances(_ count: Int, url: String, extra: [String: String] = [:]) throws -> [Gateway] {
        let config = try temporaryFolder().appendingPathComponent("herald.json")
        try Data(#"{"delivery": {"lease_seconds": 9}}"#.utf8).write(to: config)
        var environment = ["HERALD_DATABASE": url, "HERALD_CONFIG": config.path]
        environment.merge(extra) { _, new in new }
        return try (0..<count).map { _ in try Gateway(extraEnvironment: environment) }
    }

    /// Waits until `query` answers `expected` (one value).
    static func waitFor(_ server: PostgresServer, _ database: String, _ query: String, toBe expected: String, seconds: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try server.psql(query, database: database) == expected + "\n" { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try server.psql(query, database: database) == expected + "\n"
    }

    @Test func threeInstancesTakeABurstAndOneIsKilledWithoutLosingAMessage() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let instances = try Self.instances(3, url: server.url(database: database))
        let sender = try WebhookSender(ports: instances.map(\.port))
        let total = 3_000
        let killed = instances[0]
        let killedPID = killed.child.process.processIdentifier
        // What the killed instance held when it died: the only messages that may go out twice.
        // Read while it is stopped, before the kill: once it is dead, a survivor's look at
        // the instances (every 3 s) may take its messages over at any moment, deleting the
        // row this joins (a run read nothing held and failed). A stopped process claims,
        // sends and records nothing more, and is not yet taken for dead.
        let inFlight = Mutex(Set<Int>())
        let holding = """
            SELECT m.id FROM messages m JOIN instances i ON i.id = m.lease_owner WHERE m.status = 'sending' AND i.pid = \(killedPID)
            """
        // The first 150 webhooks go to two instances at once, as Svix may retry one while
        // the first delivery is still being answered.
        let acknowledged = sender.send(count: total, concurrency: 32, twice: 150) { sent in
            guard sent == total / 2 else { return }
            kill(killedPID, SIGSTOP)
            let ids = (try? server.psql(holding, database: database))?.split(separator: "\n").compactMap { Int($0) } ?? []
            inFlight.withLock { $0 = Set(ids) }
            kill(killedPID, SIGKILL)
        }
        _ = killed.child.wait()
        #expect(acknowledged.count == total)  // the sender moves on to another instance, as Svix retries

        // Every acknowledged message is delivered, by the survivors too.
        #expect(try Self.waitFor(server, database, "SELECT count(*) FROM messages WHERE status <> 'sent'", toBe: "0", seconds: 60))
        #expect(try server.psql("SELECT count(*), count(DISTINCT webhook_id) FROM messages", database: database) == "\(total)|\(total)\n")
        let outboxes = instances.map { Set(($0.outboxFiles("sms")).compactMap { Int($0.dropLast(".json".count)) }) }
        let delivered = outboxes.reduce(Set<Int>()) { $0.union($1) }
        #expect(delivered.count == total)
        #expect(outboxes.allSatisfy { $0.count > total / 10 })  // all three took part
        // Duplicates: only messages the killed instance had in flight, sent by it and again.
        let twice = outboxes[0].intersection(outboxes[1]).union(outboxes[0].intersection(outboxes[2])).union(outboxes[1].intersection(outboxes[2]))
        let held = inFlight.withLock { $0 }
        #expect(twice.isSubset(of: held), "sent twice: \(twice.subtracting(held).sorted().prefix(10)), held: \(held.count)")
        #expect(outboxes[1].isDisjoint(with: outboxes[2]))
        for instance in instances.dropFirst() {
            instance.child.process.terminate()
            #expect(instance.child.wait() == 0)
            #expect(!instance.child.stderr.contains("lease lost"))
        }
    }

    @Test func theDatabaseRestartedUnderLoadAnswers503ThenDeliveryResumesOnItsOwn() throws {
        let server = try PostgresServer()  // of its own: stopped in the middle
        defer { try? server.stop() }
        let database = try server.createDatabase()
        let instances = try Self.instances(2, url: server.url(database: database))
        let sender = try WebhookSender(ports: instances.map(\.port))
        let answers = Mutex<[Int: Int]>([:])
        let acknowledged = Mutex<[String]>([])
        let stop = Mutex(false)
        let retryAfter = Mutex(Set<String>())
        let group = DispatchGroup()
        for thread in 0..<8 {
            group.enter()
            Thread {
                let connections = WebhookSender.Connections()
                var index = 0
                while !stop.withLock({ $0 }) {
                    let id = "msg_restart_\(thread)_\(index)"
                    let response = sender.post(id: id, to: index % 2, over: connections)
                    answers.withLock { $0[response?.status ?? 0, default: 0] += 1 }
                    if response?.status == 200 { acknowledged.withLock { $0.append(id) } }
                    if response?.status == 503, let value = response?.headers["retry-after"] { retryAfter.withLock { _ = $0.insert(value) } }
                    index += 1
                    Thread.sleep(forTimeInterval: 0.005)
                }
                group.leave()
            }.start()
        }
        Thread.sleep(forTimeInterval: 1)
        try server.stop()
        Thread.sleep(forTimeInterval: 1.5)
        let whileDown = answers.withLock { $0 }
        // Health says so while the database is away, for a load balancer to see.
        let healthDown = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(instances[0].port)/readyz")
        try server.start()
        Thread.sleep(forTimeInterval: 2)
        let healthUp = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(instances[0].port)/readyz")
        #expect(healthDown.status == 503, "\(String(decoding: healthDown.body, as: UTF8.self))")
        #expect(String(decoding: healthDown.body, as: UTF8.self).contains("\"store\":\"failing\""))
        #expect(healthUp.status == 200, "\(String(decoding: healthUp.body, as: UTF8.self))")
        stop.withLock { $0 = true }
        group.wait()
        let counts = answers.withLock { $0 }
        #expect(whileDown[503, default: 0] > 0, "answers: \(counts)")
        #expect(retryAfter.withLock { $0 } == ["5"])
        #expect(counts[200, default: 0] > whileDown[200, default: 0], "intake resumed: \(counts)")
        #expect(Set(counts.keys).isSubset(of: [200, 503]), "answers: \(counts)")

        // Nothing acknowledged is lost, and all of it goes out without anyone's help.
        let ids = acknowledged.withLock { $0 }
        #expect(try Self.waitFor(server, database, "SELECT count(*) FROM messages WHERE status = 'sent'", toBe: String(ids.count), seconds: 30))
        let stored = Set(try server.psql("SELECT webhook_id FROM messages", database: database).split(separator: "\n").map(String.init))
        #expect(Set(ids).isSubset(of: stored))
        for instance in instances {
            #expect(instance.child.waitFor { $0.stderr.contains("database connection restored") })
            instance.child.process.terminate()
            #expect(instance.child.wait() == 0)
        }
    }

    @Test func logFollowShowsEveryInstancesChangesAndNewWorkWakesTheOthersAtOnce() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let url = server.url(database: database)
        // One takes webhooks only; the other delivers what the first stored.
        let intake = try Self.instances(1, url: url, extra: ["HERALD_DELIVERY": "off"])[0]
        let deliverer = try Self.instances(1, url: url)[0]
        let follow = try Child(["log", "--follow", "--json"], environment: intake.cliEnvironment, directory: intake.folder)
        Thread.sleep(forTimeInterval: 0.5)
        let sender = try WebhookSender(ports: [intake.port, deliverer.port])
        for index in 0..<6 {
            #expect(sender.post(id: "msg_follow_\(index)", to: index % 2)?.status == 200)
            Thread.sleep(forTimeInterval: 0.15)
        }
        #expect(follow.waitFor(timeout: 15) { $0.stdout.components(separatedBy: "\"status\":\"sent\"").count == 7 })
        follow.process.terminate()
        _ = follow.wait()
        let lines = follow.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(Array($0.utf8)) }
        for index in 0..<6 {
            let states = lines.filter { $0["webhook_id"] == .string("msg_follow_\(index)") }.compactMap { $0["status"]?.stringValue }
            #expect(states == ["queued", "sending", "sent"], "msg_follow_\(index)")
        }
        // Stored by one instance, delivered by the other at once: NOTIFY, not the poll (up
        // to a second).
        let waits = try server.psql("""
            SELECT a.started_at - m.created_at FROM messages m JOIN attempts a ON a.message_id = m.id WHERE m.webhook_id LIKE 'msg_follow_%'
            """, database: database).split(separator: "\n").compactMap { Int($0) }
        #expect(waits.count == 6)
        #expect(waits.allSatisfy { $0 < 500 }, "ms from arrival to the attempt: \(waits)")
        for instance in [intake, deliverer] {
            instance.child.process.terminate()
            #expect(instance.child.wait() == 0)
        }
    }
}

/// Signed `sms.created` webhooks to several instances from many threads, moving on to the
/// next instance when one does not answer 200 (as Svix retries).
struct WebhookSender: Sendable {
    let ports: [UInt16]
    let signer: WebhookVerifier

    init(ports: [String]) throws {
        self.ports = ports.compactMap(UInt16.init)
        signer = try testSigner()
    }

    /// One thread's keep-alive connections, one per instance.
    final class Connections {
        var clients: [Int: HTTPClient] = [:]
    }

    func post(id: String, to instance: Int, over connections: Connections = Connections()) -> ClientResponse? {
        let index = instance % ports.count
        let timestamp = Int64(Date().timeIntervalSince1970)
        // One Clerk message per webhook id (a repeated id carries the same message, as Svix's retries do).
        guard let body = try? freshFixture("sms.created", clerkID: "sms_" + id.filter { $0.isLetter || $0.isNumber }) else { return nil }
        let headers = ["svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": signer.sign(id: id, timestamp: timestamp, body: body)]
        guard let client = connections.clients[index] ?? (try? HTTPClient()) else { return nil }
        guard let response = try? client.send(method: "POST", url: "http://127.0.0.1:\(ports[index])/webhooks/clerk", headers: headers, body: body, timeoutSeconds: 10)
        else {
            connections.clients[index] = nil
            return nil
        }
        connections.clients[index] = client
        return response
    }

    /// Sends `count` webhooks (the first `twice` to two instances at the same time), calling
    /// `progress` with how many were handed out; returns the ids answered 200.
    func send(count: Int, concurrency: Int, twice: Int, progress: @escaping @Sendable (Int) -> Void) -> Set<String> {
        let next = Mutex(0)
        let acknowledged = Mutex(Set<String>())
        let group = DispatchGroup()
        for _ in 0..<concurrency {
            group.enter()
            Thread {
                let connections = Connections()
                while true {
                    let index = next.withLock { value in
                        defer { value += 1 }
                        return value
                    }
                    guard index < count else { break }
                    progress(index)
                    let id = "msg_burst_\(index)"
                    let alongside = DispatchGroup()
                    if index < twice {
                        alongside.enter()
                        Thread {
                            _ = post(id: id, to: index + 1)
                            alongside.leave()
                        }.start()
                    }
                    for attempt in 0..<ports.count * 2 {
                        if post(id: id, to: index + attempt, over: connections)?.status == 200 {
                            acknowledged.withLock { _ = $0.insert(id) }
                            break
                        }
                    }
                    alongside.wait()
                }
                group.leave()
            }.start()
        }
        group.wait()
        return acknowledged.withLock { $0 }
    }
}

extension ServeDeliveryTests.Gateway {
    /// The files in one of the outbox's folders.
    func outboxFiles(_ channel: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("var/outbox/\(channel)").path)) ?? [])
            .filter { $0.hasSuffix(".json") }
    }
}
