import Foundation
public import HeraldCore
import Synchronization

/// `/healthz`, `/readyz` and `/livez`: what the store's last commits say, for monitors and
/// load balancers.
///
/// - `/healthz`: 200 while the last commits succeeded; 503 while they fail (a full disk, an
///   I/O error) or once the database file is gone, with the reason.
/// - `/readyz`: the same, and 503 from the start of a stop: what a load balancer uses.
/// - `/livez`: 200 while the process serves, 503 only once the store is lost (the file was
///   deleted or replaced), which a restart mends: what a liveness probe uses.
///
/// A failing store is probed with a write of its own on `/healthz` and `/readyz`, so that
/// its recovery shows while no webhook arrives (and the load balancer sends none).
public final class HealthRoute: Sendable {
    private let store: (any StoreHealthSource)?
    private let stopping = Atomic(false)

    public init(store: (any StoreHealthSource)?) {
        self.store = store
    }

    /// From now on `/readyz` answers 503 (the gateway is stopping).
    public func beginStopping() {
        stopping.store(true, ordering: .releasing)
    }

    func health() -> HandlerResult {
        guard let store else { return .respond(.json(200, #"{"status":"ok","store":"ok"}"#)) }
        let health = store.health
        guard health.state == .failing else { return .respond(Self.response(health)) }
        return .later { respond in store.probe { respond(Self.response($0)) } }
    }

    func readiness() -> HandlerResult {
        if stopping.load(ordering: .acquiring) {
            return .respond(.json(503, #"{"status":"stopping"}"#, headers: ["Retry-After": "5"]))
        }
        return health()
    }

    func liveness() -> HandlerResult {
        guard let health = store?.health, health.state == .lost else { return .respond(.json(200, #"{"status":"ok"}"#)) }
        return .respond(Self.response(health))
    }

    static func response(_ health: StoreHealth) -> HTTPResponse {
        guard !health.isOK else { return .json(200, #"{"status":"ok","store":"ok"}"#) }
        let fields = [
            "\"status\":\"unavailable\"", "\"store\":\(JSONValue.quote(health.state.rawValue))",
            "\"error\":\(JSONValue.quote(health.code ?? "unknown"))",
            "\"since\":\(JSONValue.quote(Timestamps.iso8601(milliseconds: health.since)))",
        ]
        return .json(503, "{" + fields.joined(separator: ",") + "}", headers: ["Retry-After": "5"])
    }
}
