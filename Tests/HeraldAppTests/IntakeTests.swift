import Foundation
import HeraldApp
import HeraldCore
import HeraldCurl
import HeraldHTTPServer
@testable import HeraldSQLite
import HeraldTestSupport
import Synchronization
import Testing

/// A gateway on 127.0.0.1 (free port) with a real SQLite file or PostgreSQL database.
final class Gateway {
    let folder: URL
    /// `HERALD_DATABASE`: the SQLite file's path or the PostgreSQL URL.
    let databasePath: String
    let opened: any ClosableStore
    let server: HTTPServer
    let intake: Intake
    let logs = MemoryLogHandler()
    let signer: WebhookVerifier

    init(maxBodyBytes: Int = 1 << 20, backend: TestBackend = .sqlite) throws {
        folder = try temporaryFolder()
        databasePath = try backend.database(in: folder)
        let logger = Logger(label: "test", level: .debug, handler: logs)
        opened = try StoreFactory.open(try DatabaseLocation(parsing: databasePath), logger: logger)
        signer = try testSigner()
        intake = Intake(verifier: signer, store: opened, webhookPath: "/webhooks/clerk", logger: logger)
        let routes = Routes(
            webhookPath: "/webhooks/clerk", intake: intake, metrics: MetricsRoute(metrics: intake.metrics, backlog: opened, logger: logger))
        server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes), handler: routes)
    }

    deinit {
        server.stop()
        opened.close()
    }

    var url: String { "http://127.0.0.1:\(server.port)/webhooks/clerk" }

    func signedHeaders(id: String, body: [UInt8], timestamp: Int64 = Int64(Date().timeIntervalSince1970)) -> [String: String] {
        ["svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": signer.sign(id: id, timestamp: timestamp, body: body),
         "Content-Type": "application/json"]
    }

    func post(_ body: [UInt8], headers: [String: String], path: String = "/webhooks/clerk", method: String = "POST") throws -> (Int, JSONValue?) {
        let response = try HTTPClient().send(method: method, url: "http://127.0.0.1:\(server.port)\(path)", headers: headers, body: body)
        return (response.status, try? JSONValue.parse(response.body))
    }

    func store() throws -> any ClosableStore { opened }
}

@Suite struct IntakeTests {
    @Test(arguments: TestBackend.allCases)
    func goodEventIsDurableBeforeTheAnswer(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        let body = try fixture("email.created")
        let (status, json) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_good", body: body))
        #expect(status == 200)
        #expect(json?["status"] == .string("queued"))
        #expect(json?["duplicate"] == .bool(false))
        // A separate connection sees the committed row as soon as the answer arrived.
        let record = try #require(try gateway.store().message("msg_good"))
        #expect(record.status == .queued)
        #expect(record.recipient == "user@example.com")
        #expect(record.slug == "verification_code")
        #expect(try gateway.store().payload(messageID: record.id) == body)
    }

    @Test(arguments: TestBackend.allCases)
    func duplicateGetsTheSameAnswerAndNoSecondMessage(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        let body = try fixture("sms.created")
        let first = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_dup", body: body))
        // A Svix retry: same id, new timestamp and signature.
        let retry = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_dup", body: body, timestamp: Int64(Date().timeIntervalSince1970) - 60))
        #expect(first.0 == 200 && retry.0 == 200)
        #expect(first.1?["id"] == retry.1?["id"])
        #expect(retry.1?["duplicate"] == .bool(true))
        #expect(try gateway.store().messages(matching: MessageFilter()).count == 1)
        #expect(gateway.intake.metrics.webhookCount("duplicate") == 1)
    }

    @Test(arguments: TestBackend.allCases)
    func deliveredByClerkIsStoredAsSkipped(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        let body = Array(String(decoding: try fixture("email.created"), as: UTF8.self)
            .replacingOccurrences(of: "\"delivered_by_clerk\": false", with: "\"delivered_by_clerk\": true").utf8)
        let (status, json) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_skip", body: body))
        #expect(status == 200)
        #expect(json?["status"] == .string("skipped"))
        #expect(try gateway.store().message("msg_skip")?.status == .skipped)
    }

    @Test(arguments: TestBackend.allCases)
    func signedGarbageIsRecordedFailedAndAnswered2xx(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        let body = Array("this is not json {".utf8)
        let (status, json) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_garbage", body: body))
        #expect(status == 200)
        #expect(json?["status"] == .string("failed"))
        let record = try #require(try gateway.store().message("msg_garbage"))
        #expect(record.lastError == "invalid_json")
        #expect(gateway.logs.all.contains { $0.message == "webhook unusable" && $0.metadata["reason"] == "invalid_json" })
    }

    @Test(arguments: TestBackend.allCases)
    func unknownEventTypeIsCountedNotStored(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        let body = Array(#"{"type":"user.created","object":"event","data":{"id":"user_1"}}"#.utf8)
        let (status, json) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_user", body: body))
        #expect(status == 200)
        #expect(json?["ignored"] == .bool(true))
        #expect(try gateway.store().messages(matching: MessageFilter()).isEmpty)
        #expect(try gateway.store().ignoredEventCounts() == ["user.created": 1])
    }

    @Test func rejectionsStoreNothingAndAreLogged() throws {
        let gateway = try Gateway()
        let body = try fixture("email.created")
        var tampered = body
        tampered[10] ^= 1
        let stale = Int64(Date().timeIntervalSince1970) - 301
        let cases: [(String, [UInt8], [String: String], Int, String)] = [
            ("tampered", tampered, gateway.signedHeaders(id: "msg_t", body: body), 401, "signature_mismatch"),
            ("stale", body, gateway.signedHeaders(id: "msg_s", body: body, timestamp: stale), 401, "timestamp_too_old"),
            ("missing", body, ["Content-Type": "application/json"], 400, "missing_signature_headers"),
            ("malformed", body, ["svix-id": "msg_m", "svix-timestamp": "soon", "svix-signature": "v1,AAAA"], 400, "malformed_signature_headers"),
        ]
        for (name, payload, headers, expected, code) in cases {
            let (status, json) = try gateway.post(payload, headers: headers)
            #expect(status == expected, "\(name)")
            #expect(json?["error"] == .string(code), "\(name)")
            #expect(gateway.intake.metrics.webhookCount("rejected_\(code)") == 1, "\(name)")
        }
        #expect(try gateway.store().messages(matching: MessageFilter()).isEmpty)
        let rejections = gateway.logs.all.filter { $0.message == "webhook rejected" }
        #expect(rejections.count == 4)
        #expect(!rejections.contains { $0.metadata.values.contains { $0.contains("whsec_") || $0.contains("v1,") } })
    }

    @Test func otherPathsAndMethods() throws {
        let gateway = try Gateway()
        #expect(try gateway.post([], headers: [:], path: "/healthz", method: "GET").0 == 200)
        #expect(try gateway.post([], headers: [:], path: "/nope", method: "GET").0 == 404)
        #expect(try gateway.post([], headers: [:], path: "/webhooks/clerk", method: "GET").0 == 405)
        #expect(try gateway.post([], headers: [:], path: "/healthz", method: "POST").0 == 405)
        let metrics = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(gateway.server.port)/metrics")
        #expect(metrics.status == 200)
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("herald_messages_pending{status=\"queued\"} 0\n"))
    }

    @Test(arguments: TestBackend.allCases)
    func theSameClerkMessageUnderTwoWebhookIDsIsADuplicate(_ backend: TestBackend) throws {
        // Two endpoints pointing at Herald: the same body (and `ema_` id), a new svix-id.
        let gateway = try Gateway(backend: backend)
        let body = try freshFixture("email.created")
        let first = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_endpoint_a", body: body))
        let second = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_endpoint_b", body: body))
        #expect(first.0 == 200 && second.0 == 200)
        #expect(first.1?["duplicate"] == .bool(false))
        #expect(second.1?["duplicate"] == .bool(true))
        #expect(second.1?["id"] == first.1?["id"])
        #expect(second.1?["status"] == .string("queued"))
        #expect(try gateway.store().messages(matching: MessageFilter()).map(\.webhookID) == ["msg_endpoint_a"])
        #expect(gateway.intake.metrics.webhookCount("duplicate") == 1)
    }

    @Test(arguments: TestBackend.allCases)
    func metricsShowTheBacklogFromTheStore(_ backend: TestBackend) throws {
        let gateway = try Gateway(backend: backend)
        for index in 0..<3 {
            let body = try freshFixture("email.created")
            #expect(try gateway.post(body, headers: gateway.signedHeaders(id: "msg_backlog_\(index)", body: body)).0 == 200)
        }
        let response = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(gateway.server.port)/metrics")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("herald_webhook_requests_total{result=\"queued\"} 3\n"))
        #expect(text.contains("# TYPE herald_messages_pending gauge\n"))
        #expect(text.contains("herald_messages_pending{status=\"queued\"} 3\n"))
        #expect(text.contains("herald_messages_pending{status=\"retrying\"} 0\n"))
        #expect(text.contains("herald_queue_oldest_wait_seconds "))
    }

    @Test func aStoreThatCannotWriteAnswers503AndTheRetrySucceeds() throws {
        let gateway = try Gateway()
        let body = try fixture("email.created")
        // A real SQLite refusal: another process holds the write lock longer than the writer
        // waits for it (5 s), as a long maintenance job on the file would.
        let blocker = try Connection(path: gateway.databasePath)
        try blocker.execute("BEGIN EXCLUSIVE")
        let headers = gateway.signedHeaders(id: "msg_store_down", body: body)
        let response = try HTTPClient().send(method: "POST", url: gateway.url, headers: headers, body: body)
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "5")
        #expect((try? JSONValue.parse(response.body))?["error"] == .string("store_unavailable"))
        #expect(gateway.intake.metrics.webhookCount("store_error") == 1)
        #expect(gateway.logs.all.contains { $0.message == "webhook not stored" && $0.metadata["webhook.id"] == "msg_store_down" })
        #expect(try gateway.store().messages(matching: MessageFilter()).isEmpty)

        // Svix retries the same webhook once the store is back: stored once, answered 200.
        try blocker.execute("COMMIT")
        let (status, json) = try gateway.post(body, headers: headers)
        #expect(status == 200)
        #expect(json?["duplicate"] == .bool(false))
        #expect(try gateway.store().messages(matching: MessageFilter()).map(\.webhookID) == ["msg_store_down"])
    }

    /// PostgreSQL's refusal: another session holds a lock on the messages longer than the
    /// writer waits for one (`lock_timeout`, 5 s), as a migration by hand would.
    @Test func aPostgreSQLStoreThatCannotWriteAnswers503AndKeepsNothingHalfWritten() throws {
        let gateway = try Gateway(backend: .postgres)
        let server = try PostgresServer.shared()
        let database = try #require(TestBackend.postgresDatabase(of: gateway.databasePath))
        let body = try fixture("email.created")
        let released = DispatchSemaphore(value: 0)
        Thread {
            _ = try? server.psql("BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6.5); COMMIT", database: database)
            released.signal()
        }.start()
        // Until the lock is there, a write would still go through.
        while (try? server.psql("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'messages'::regclass", database: database))?
            .hasPrefix("0") ?? true
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let headers = gateway.signedHeaders(id: "msg_store_down", body: body)
        let response = try HTTPClient().send(method: "POST", url: gateway.url, headers: headers, body: body)
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "5")
        #expect(gateway.logs.all.contains { $0.message == "webhook not stored" && $0.metadata["error"]?.hasPrefix("pg_55P03") == true })
        released.wait()
        #expect(try gateway.store().messages(matching: MessageFilter()).isEmpty)
        #expect(try gateway.store().changes(after: 0, limit: 10).isEmpty)
        let (status, json) = try gateway.post(body, headers: headers)
        #expect(status == 200)
        #expect(json?["duplicate"] == .bool(false))
    }

    @Test func oversizedBodyIs413() throws {
        let gateway = try Gateway(maxBodyBytes: 64 * 1024)
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 100 * 1024)
        let (status, json) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_big", body: body))
        #expect(status == 413)
        #expect(json?["error"] == .string("payload_too_large"))
        #expect(gateway.intake.metrics.webhookCount("rejected_payload_too_large") == 1)
    }

    @Test func chunkedOversizedBodyIs413() throws {
        let gateway = try Gateway(maxBodyBytes: 64 * 1024)
        var request = Array("POST /webhooks/clerk HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nsvix-id: msg_c\r\nsvix-timestamp: 1\r\nsvix-signature: v1,AAAA\r\nConnection: close\r\n\r\n".utf8)
        let chunk = [UInt8](repeating: UInt8(ascii: "b"), count: 16 * 1024)
        for _ in 0..<8 {
            request += Array("4000\r\n".utf8) + chunk + Array("\r\n".utf8)
        }
        request += Array("0\r\n\r\n".utf8)
        let response = try rawHTTP(port: gateway.server.port, request)
        #expect(response.hasPrefix("HTTP/1.1 413"))
        #expect(try gateway.store().messages(matching: MessageFilter()).isEmpty)
    }

    @Test func chunkedBodyWithinTheLimitIsAccepted() throws {
        let gateway = try Gateway()
        let body = try fixture("sms.created")
        let headers = gateway.signedHeaders(id: "msg_chunked", body: body)
        var request = Array("POST /webhooks/clerk HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n".utf8)
        for (name, value) in headers { request += Array("\(name): \(value)\r\n".utf8) }
        request += Array("\r\n".utf8)
        let half = body.count / 2
        for part in [body[..<half], body[half...]] {
            request += Array("\(String(part.count, radix: 16))\r\n".utf8) + part + Array("\r\n".utf8)
        }
        request += Array("0\r\n\r\n".utf8)
        let response = try rawHTTP(port: gateway.server.port, request)
        #expect(response.hasPrefix("HTTP/1.1 200"))
        #expect(try gateway.store().message("msg_chunked")?.status == .queued)
    }

    /// A proxy rule for `/metrics` (or the webhook path) sees the raw path: Herald routes on it too.
    @Test func encodedPathsAreNotTheRoutesTheyDecodeTo() throws {
        let gateway = try Gateway()
        func status(_ target: String, method: String = "GET") throws -> String {
            let response = try rawHTTP(
                port: gateway.server.port,
                Array("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return String(response.prefix(12))
        }
        #expect(try status("/metrics") == "HTTP/1.1 200")
        #expect(try status("/%6detrics") == "HTTP/1.1 404")
        #expect(try status("/metrics%00") == "HTTP/1.1 404")
        #expect(try status("/healthz%3F") == "HTTP/1.1 404")
        #expect(try status("/webhooks%2Fclerk", method: "POST") == "HTTP/1.1 404")
        #expect(try status("/webhooks/clerk?x=1", method: "POST").hasPrefix("HTTP/1.1 400"))  // the route; no signature
    }

    @Test(arguments: TestBackend.allCases)
    func concurrentDeliveriesOfOneIdMakeOneMessage(_ backend: TestBackend) async throws {
        let gateway = try Gateway(backend: backend)
        let body = try fixture("email.created")
        let port = gateway.server.port
        let headers = gateway.signedHeaders(id: "msg_race", body: body)
        let ids = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        Thread {
                            continuation.resume(with: Result {
                                let response = try HTTPClient().send(
                                    method: "POST", url: "http://127.0.0.1:\(port)/webhooks/clerk", headers: headers, body: body)
                                return try JSONValue.parse(response.body)["id"]
                            })
                        }.start()
                    }
                }
            }
            return try await group.reduce(into: [JSONValue?]()) { $0.append($1) }
        }
        #expect(Set(ids.compactMap { $0 }).count == 1)
        #expect(ids.count == 16)
        #expect(try gateway.store().messages(matching: MessageFilter()).count == 1)
    }
}

@Suite struct MetricsTests {
    @Test func deliveryCountersAndACumulativeLatencyHistogram() {
        let metrics = Metrics()
        metrics.countAttempt(channel: .email, provider: "smtp", transport: "smtp", outcome: "delivered", status: .sent, secondsSinceArrival: 0.005)
        metrics.countAttempt(channel: .email, provider: "smtp", transport: "smtp", outcome: "delivered", status: .sent, secondsSinceArrival: 0.3)
        metrics.countAttempt(channel: .email, provider: "smtp", transport: "smtp", outcome: "retryable", status: .retrying, secondsSinceArrival: nil)
        metrics.countAttempt(channel: .sms, provider: "odd\"name\\", transport: "http", outcome: "permanent", status: .failed, secondsSinceArrival: nil)
        let text = metrics.prometheusText()
        #expect(text.contains("herald_delivery_attempts_total{channel=\"email\",provider=\"smtp\",transport=\"smtp\",outcome=\"delivered\"} 2\n"))
        #expect(text.contains("herald_delivery_attempts_total{channel=\"email\",provider=\"smtp\",transport=\"smtp\",outcome=\"retryable\"} 1\n"))
        #expect(text.contains("herald_delivery_attempts_total{channel=\"sms\",provider=\"odd\\\"name\\\\\",transport=\"http\",outcome=\"permanent\"} 1\n"))
        #expect(text.contains("herald_messages_finished_total{channel=\"email\",status=\"sent\"} 2\n"))
        #expect(text.contains("herald_messages_finished_total{channel=\"sms\",status=\"failed\"} 1\n"))
        #expect(!text.contains("status=\"retrying\""))
        #expect(text.contains("herald_delivery_latency_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(text.contains("herald_delivery_latency_seconds_bucket{le=\"0.25\"} 1\n"))
        #expect(text.contains("herald_delivery_latency_seconds_bucket{le=\"0.5\"} 2\n"))
        #expect(text.contains("herald_delivery_latency_seconds_bucket{le=\"600\"} 2\n"))
        #expect(text.contains("herald_delivery_latency_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(text.contains("herald_delivery_latency_seconds_sum 0.305\n"))
        #expect(text.contains("herald_delivery_latency_seconds_count 2\n"))
    }

    @Test func backlogGauges() {
        let summary = PendingSummary(counts: [.queued: 4, .sending: 1], oldestQueuedDueAt: 10_000)
        let text = Metrics.pendingText(summary, now: 12_500)
        #expect(text.contains("herald_messages_pending{status=\"queued\"} 4\n"))
        #expect(text.contains("herald_messages_pending{status=\"sending\"} 1\n"))
        #expect(text.contains("herald_messages_pending{status=\"retrying\"} 0\n"))
        #expect(text.contains("herald_queue_oldest_wait_seconds 2.5\n"))
        #expect(Metrics.pendingText(PendingSummary(counts: [:], oldestQueuedDueAt: nil), now: 1).contains("herald_queue_oldest_wait_seconds 0\n"))
    }
}
