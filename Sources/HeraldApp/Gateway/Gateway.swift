import Foundation
public import HeraldCore
import HeraldCrypto
import HeraldHTTPServer
import HeraldProviders

/// The composition root of `herald serve`: builds every part from the configuration and
/// starts and stops them in order. The HTTP listener is bound before delivery starts, so
/// that a second serve on a port in use fails before it claims anything; on a stop, intake
/// drains first, then retention, then delivery, then the store.
public final class Gateway {
    public struct Options: Sendable {
        /// Deliver (false: intake only, `--no-delivery`).
        public var delivers = true
        public init(delivers: Bool = true) {
            self.delivers = delivers
        }
    }

    public let configuration: Configuration
    let store: any ClosableStore
    let templates: TemplateStore
    public let metrics = Metrics()
    let engine: DeliveryEngine
    let pruner: Pruner?
    let server: HTTPServer
    /// The listener of `/metrics` alone, when it has one of its own.
    let metricsServer: HTTPServer?
    let health: HealthRoute
    let logger: Logger
    let options: Options
    /// What the templates folder held at start.
    public let templateCount: Int

    /// Opens the store, loads the templates and binds the listener; nothing is delivered
    /// until ``start()``.
    public init(configuration: Configuration, options: Options, logger: Logger) throws {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        let templatesProblem = configuration.templatesFolderProblem()
        if let templatesProblem {
            guard !templatesProblem.refuse else { throw ConfigurationError(templatesProblem.message) }
            logger.warning(templatesProblem.message, ["templates.path": configuration.templatesPath])
        }
        store = try StoreFactory.open(configuration.database, logger: logger)
        templates = TemplateStore(root: configuration.templatesPath, localePath: configuration.localePath, logger: logger)
        templateCount = templates.reload().inventory.count
        if templateCount == 0, templatesProblem == nil {
            logger.warning(
                "the templates folder holds no message template: Clerk's rendering is sent for every message",
                ["templates.path": configuration.templatesPath])
        }
        let providers = configuration.providers
        let store = self.store
        let metrics = self.metrics
        var rates: [String: RateLimit] = [:]
        for provider in providers.email + providers.sms {
            metrics.registerProvider(provider.name)
            if let rate = provider.rate { rates[provider.name] = rate }
        }
        let engine = DeliveryEngine(
            queue: store, templates: templates, settings: configuration.delivery, logger: logger, metrics: metrics,
            breakers: configuration.breakers, rates: rates, directory: providers)
        self.engine = engine
        pruner = configuration.retention.map { Pruner(store: store, retention: $0, logger: logger) }
        let verifier = WebhookVerifier(secrets: configuration.secrets, authenticator: OpenSSLAuthenticator())
        let intake = Intake(
            verifier: verifier, store: store, webhookPath: configuration.webhookPath, logger: logger, metrics: metrics,
            onQueued: { engine.notify(newMessage: $0) })
        let health = HealthRoute(store: store)
        self.health = health
        let metricsRoute = MetricsRoute(metrics: metrics, backlog: store, logger: logger)
        let separateMetrics = configuration.metricsListen != nil
        let routes = Routes(
            webhookPath: configuration.webhookPath, intake: intake, metrics: separateMetrics ? nil : metricsRoute,
            status: StatusRoute(log: store, health: engine.health, configured: providers.names, logger: logger), health: health)
        var http = configuration.http
        http.host = configuration.listenHost
        http.port = configuration.listenPort
        do {
            server = try HTTPServer(configuration: http, handler: routes)
        } catch {
            store.close()
            throw CommandError("\(error)")
        }
        if let address = configuration.metricsListen {
            // A scraper or two: one thread, few connections, no bodies.
            let scrape = HTTPServerConfiguration(
                host: address.host, port: address.port, maxBodyBytes: 4096, connectionLimit: 64, perIPConnectionLimit: 16,
                connectionTimeoutSeconds: http.connectionTimeoutSeconds, requestTimeoutSeconds: http.requestTimeoutSeconds, threads: 1)
            do {
                metricsServer = try HTTPServer(configuration: scrape, handler: MetricsListenerRoutes(metrics: metricsRoute))
            } catch {
                server.stop(drainSeconds: 0)
                store.close()
                throw CommandError("metrics listener (HERALD_METRICS_LISTEN): \(error)")
            }
        } else {
            metricsServer = nil
        }
    }

    /// What to do about a store that cannot be opened, when there is something to say.
    static func advice(_ error: StoreError) -> String {
        guard error.kind == .corrupt else { return "" }
        return "; the file is damaged: serve refuses it rather than lose what arrives. Restore a backup (see Backups in the README), "
            + "or move it away with its -wal and -shm to start a new, empty store"
    }

    /// The port the listener is bound to.
    public var port: UInt16 { server.port }

    /// Starts delivery and retention (the listener already takes webhooks).
    public func start() throws {
        if options.delivers {
            do {
                try engine.start()
            } catch {
                server.stop(drainSeconds: 1)
                metricsServer?.stop(drainSeconds: 1)
                store.close()
                throw CommandError("cannot start delivery: \(error)")
            }
        }
        pruner?.start()
    }

    /// Stops taking requests (those in flight finish), then retention, then delivery
    /// (sends in flight finish), then closes the store.
    public func stop() {
        health.beginStopping()
        server.stop()
        metricsServer?.stop(drainSeconds: 5)
        pruner?.stop()
        if options.delivers { engine.stop() }
        store.close()
    }

    /// One line per part for the start-up log; never a credential.
    public var summary: Logger.Metadata {
        let providers = configuration.providers
        var started: Logger.Metadata = [
            "listen": ListenAddress(host: configuration.listenHost, port: server.port).description,
            "metrics": metricsServer.map { ListenAddress(host: $0.host, port: $0.port).description } ?? "on the main listener",
            "webhook.path": configuration.webhookPath, "database": configuration.database.description,
            "secrets": "\(configuration.secrets.count) from \(configuration.secretSource ?? "?")",
            "templates": "\(templateCount) in \(configuration.templatesPath)",
            "delivery": options.delivers
                ? "email via \(providers.summary(for: .email)); sms via \(providers.summary(for: .sms)); \(configuration.delivery.workers) workers"
                : "off (intake only)",
            "retention": configuration.retention.map(formatDuration) ?? "off",
        ]
        if let file = configuration.configFile { started["config"] = file }
        return started
    }
}
