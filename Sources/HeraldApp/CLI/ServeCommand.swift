import Foundation
import HeraldCore
import HeraldCrypto
import HeraldCurl
import HeraldHTTPServer
import HeraldSQLite

/// `herald serve`: the gateway process.
enum ServeCommand {
    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: ["dev", "no-delivery"])
        try parsed.expectPositionals(max: 0, usage: "herald serve [--dev] [--no-delivery]")
        let delivers = !parsed.flag("no-delivery") && environment["HERALD_DELIVERY"]?.lowercased() != "off"
        let development = parsed.flag("dev") || environment["HERALD_DEV"] == "1"
        var configuration = try Configuration.load(environment: environment)
        let logger = CLI.logger(configuration)

        if configuration.secrets.isEmpty {
            guard development else {
                throw ConfigurationError(
                    "no webhook signing secret: set HERALD_WEBHOOK_SECRET to the endpoint's secret (whsec_...) from the Clerk dashboard")
            }
            configuration.secrets = try WebhookSecret.parseList(Configuration.developmentSecret)
            configuration.secretSource = "development secret"
        } else if configuration.usesDevelopmentSecret && !development {
            throw ConfigurationError(
                "\(configuration.secretSource ?? "the secret") is the development secret; set the endpoint's real secret, or pass --dev for a local run")
        }

        // Block the stop signals before any thread starts, so only sigwait below sees them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: configuration.databasePath, logger: logger)
        } catch {
            throw CommandError("cannot open the store at \(configuration.databasePath): \(error)")
        }
        let templates = TemplateStore(root: configuration.templatesPath, localePath: configuration.localePath, logger: logger)
        let loaded = templates.reload()
        let providers = configuration.providers
        let metrics = Metrics()
        let engine = DeliveryEngine(
            queue: store, templates: templates, settings: configuration.delivery, logger: logger, metrics: metrics,
            makeSender: { channel in try providers.makeSender(providers.route(for: channel)[0]) })
        if delivers {
            do {
                try engine.start()
            } catch {
                store.close()
                throw CommandError("cannot start delivery: \(error)")
            }
        }
        let pruner = configuration.retention.map { Pruner(store: store, retention: $0, logger: logger) }
        pruner?.start()
        let verifier = WebhookVerifier(secrets: configuration.secrets, authenticator: OpenSSLAuthenticator())
        let intake = Intake(
            verifier: verifier, store: store, webhookPath: configuration.webhookPath, logger: logger, metrics: metrics,
            onQueued: engine.notify)
        var http = configuration.http
        http.host = configuration.listenHost
        http.port = configuration.listenPort
        let server: HTTPServer
        do {
            server = try HTTPServer(configuration: http, handler: intake)
        } catch {
            pruner?.stop()
            engine.stop()
            store.close()
            throw CommandError("\(error)")
        }
        var started: Logger.Metadata = [
            "listen": "\(configuration.listenHost.contains(":") ? "[\(configuration.listenHost)]" : configuration.listenHost):\(server.port)",
            "webhook.path": configuration.webhookPath, "database": configuration.databasePath,
            "secrets": "\(configuration.secrets.count) from \(configuration.secretSource ?? "?")",
            "templates": "\(loaded.inventory.count) in \(configuration.templatesPath)",
            "delivery": delivers
                ? "email via \(providers.summary(for: .email)); sms via \(providers.summary(for: .sms)); \(configuration.delivery.workers) workers"
                : "off (intake only)",
            "retention": configuration.retention.map(formatDuration) ?? "off",
        ]
        if let file = configuration.configFile { started["config"] = file }
        if development { started["mode"] = "development" }
        logger.notice("herald listening", started)
        if development {
            logger.warning("development mode: do not expose this instance; try 'herald simulate email' in another terminal")
        }

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.notice("stopping", ["signal": received == SIGTERM ? "SIGTERM" : "SIGINT"])
        server.stop()
        pruner?.stop()
        engine.stop()
        store.close()
        logger.notice("stopped")
    }
}
