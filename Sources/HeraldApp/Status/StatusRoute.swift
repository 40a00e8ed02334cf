import Foundation
public import HeraldCore

/// `GET /status`: the report of this serve: the store's figures and its live circuits.
/// The store is read on a thread of its own: the HTTP event threads never block.
public final class StatusRoute: HTTPHandler {
    private let log: any MessageLog
    private let health: ProviderHealth
    private let configured: [(name: String, channel: Channel)]
    private let logger: Logger

    public init(log: any MessageLog, health: ProviderHealth, configured: [(name: String, channel: Channel)], logger: Logger) {
        self.log = log
        self.health = health
        self.configured = configured
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        .later { [log, health, configured, logger] respond in
            Thread {
                do {
                    let report = try StatusReport.build(log: log, configured: configured, circuits: health.snapshot, now: Clock.nowMilliseconds())
                    respond(.json(200, report.json))
                } catch {
                    logger.error("status: cannot read the store", ["error": "\(error)"])
                    respond(.error(503, code: "store_unavailable", message: "the store cannot be read now", headers: ["Retry-After": "5"]))
                }
            }.start()
        }
    }

    public func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {}
}
