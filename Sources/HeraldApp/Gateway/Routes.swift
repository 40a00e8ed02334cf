import Foundation
public import HeraldCore

/// The HTTP server's router: paths are matched exactly as sent (never decoded, so that
/// `/%6detrics` is not `/metrics`), each to its route.
public final class Routes: HTTPHandler {
    private let webhookPath: String
    private let intake: Intake
    private let metrics: MetricsRoute?
    private let status: StatusRoute?
    private let health: HealthRoute

    /// `metrics` nil: `/metrics` is not served here (it has a listener of its own).
    public init(
        webhookPath: String, intake: Intake, metrics: MetricsRoute?, status: StatusRoute? = nil, health: HealthRoute = HealthRoute(store: nil)
    ) {
        self.webhookPath = webhookPath
        self.intake = intake
        self.metrics = metrics
        self.status = status
        self.health = health
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        switch request.path {
        case webhookPath:
            return intake.handle(request)
        case "/healthz", "/readyz", "/livez":
            guard request.method == "GET" || request.method == "HEAD" else { return .respond(Self.methodNotAllowed("GET, HEAD")) }
            switch request.path {
            case "/healthz": return health.health()
            case "/readyz": return health.readiness()
            default: return health.liveness()
            }
        case "/status" where status != nil:
            guard request.method == "GET" else { return .respond(Self.methodNotAllowed("GET")) }
            return status!.handle(request)
        case "/metrics" where metrics != nil:
            guard request.method == "GET" else { return .respond(Self.methodNotAllowed("GET")) }
            return metrics!.handle(request)
        default:
            return .respond(.error(404, code: "not_found", message: "no such path"))
        }
    }

    public func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {
        guard request.path == webhookPath else { return }
        intake.serverRejected(request, status: status, reason: reason)
    }

    static func methodNotAllowed(_ allow: String) -> HTTPResponse {
        .error(405, code: "method_not_allowed", message: "use \(allow)", headers: ["Allow": allow])
    }
}

/// The router of the metrics listener (`HERALD_METRICS_LISTEN`): `/metrics` and nothing
/// else, so that the main listener, which faces the internet, need not serve it.
public final class MetricsListenerRoutes: HTTPHandler {
    private let metrics: MetricsRoute

    public init(metrics: MetricsRoute) {
        self.metrics = metrics
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        guard request.path == "/metrics" else { return .respond(.error(404, code: "not_found", message: "no such path")) }
        guard request.method == "GET" else { return .respond(Routes.methodNotAllowed("GET")) }
        return metrics.handle(request)
    }

    public func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {}
}

/// `GET /metrics`: the process's counters, and the backlog gauges read from the store (for
/// every process sharing it). The counters are answered even if the store cannot be read.
public final class MetricsRoute: HTTPHandler {
    private let metrics: Metrics
    private let backlog: any BacklogSource
    private let logger: Logger
    private let now: @Sendable () -> Int64

    public init(metrics: Metrics, backlog: any BacklogSource, logger: Logger, now: @escaping @Sendable () -> Int64 = Clock.nowMilliseconds) {
        self.metrics = metrics
        self.backlog = backlog
        self.logger = logger
        self.now = now
    }

    public func handle(_ request: HTTPRequest) -> HandlerResult {
        .later { [backlog, metrics, logger, now] respond in
            backlog.pendingSummary { result in
                var text = metrics.prometheusText()
                switch result {
                case .success(let summary): text += Metrics.pendingText(summary, now: now())
                case .failure(let error): logger.error("metrics: cannot read the backlog from the store", ["error": "\(error)"])
                }
                respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4"], body: Array(text.utf8)))
            }
        }
    }

    public func serverRejected(_ request: HTTPRequest, status: Int, reason: String) {}
}
