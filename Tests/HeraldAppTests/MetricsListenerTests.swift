import Foundation
import HeraldApp
import HeraldCore
import HeraldCurl
import Testing

/// `/metrics` on a listener of its own (`HERALD_METRICS_LISTEN`, `metrics_listen`).
@Suite(.serialized) struct MetricsListenerTests {
    @Test func metricsMoveToTheirOwnListener() throws {
        let gateway = try ServeDeliveryTests.Gateway(extraEnvironment: ["HERALD_METRICS_LISTEN": "127.0.0.1:0", "HERALD_DELIVERY": "off"])
        let range = try #require(gateway.child.stderr.range(of: #"metrics=127\.0\.0\.1:\d+"#, options: .regularExpression))
        let metricsPort = try #require(gateway.child.stderr[range].split(separator: ":").last.map(String.init))
        #expect(metricsPort != gateway.port)
        #expect(try gateway.post("msg_counted", body: try freshFixture("sms.created")).0 == 200)

        let scraped = try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(metricsPort)/metrics")
        #expect(scraped.status == 200)
        #expect(String(decoding: scraped.body, as: UTF8.self).contains("herald_webhook_requests_total{result=\"queued\"} 1\n"))
        #expect(String(decoding: scraped.body, as: UTF8.self).contains("herald_messages_pending{status=\"queued\"} 1\n"))
        // The main listener no longer serves it; the metrics listener serves nothing else.
        #expect(try gateway.get("/metrics").0 == 404)
        #expect(try gateway.get("/healthz").0 == 200)
        for path in ["/webhooks/clerk", "/healthz", "/%6detrics"] {
            #expect(try HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(metricsPort)\(path)").status == 404, "\(path)")
        }
        #expect(try HTTPClient().send(method: "POST", url: "http://127.0.0.1:\(metricsPort)/metrics").status == 405)
        #expect(gateway.stop() == 0)
    }

    @Test func theFileKeyAndABadAddress() throws {
        let file = try temporaryFolder().appendingPathComponent("herald.json")
        try Data(#"{"metrics_listen": "[::1]:9464"}"#.utf8).write(to: file)
        let loaded = try Configuration.load(environment: ["HERALD_CONFIG": file.path])
        #expect(loaded.metricsListen == ListenAddress(host: "::1", port: 9464))
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": file.path, "HERALD_METRICS_LISTEN": ":9465"]).metricsListen
            == ListenAddress(host: "0.0.0.0", port: 9465))
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": ""]).metricsListen == nil)
        #expect(throws: ConfigurationError.self) { try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_METRICS_LISTEN": "9464"]) }
    }
}
