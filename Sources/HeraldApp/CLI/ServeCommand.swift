import Foundation
import HeraldCore

/// `herald serve`: parses its arguments and the configuration, then runs the ``Gateway``
/// until SIGTERM or SIGINT.
enum ServeCommand {
    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: ["dev", "no-delivery"])
        try parsed.expectPositionals(max: 0, usage: "herald serve [--dev] [--no-delivery]")
        let delivers = !parsed.flag("no-delivery") && environment["HERALD_DELIVERY"]?.lowercased() != "off"
        let development = parsed.flag("dev") || environment["HERALD_DEV"] == "1"
        var configuration = try Configuration.load(environment: environment)
        try configuration.refuseUnknownRouteProviders()
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

        HeapTrimming.apply(environment: environment)

        // Block the stop signals before any thread starts, so only sigwait below sees them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let gateway = try Gateway(configuration: configuration, options: Gateway.Options(delivers: delivers), logger: logger)
        try gateway.start()
        var started = gateway.summary
        if development { started["mode"] = "development" }
        logger.notice("herald listening", started)
        for (index, rule) in configuration.routing.rules.enumerated() {
            logger.notice("route", ["route": "routes[\(index)]", "route.match": rule.summary, "route.providers": rule.providers.joined(separator: ",")])
        }
        if development {
            logger.warning("development mode: do not expose this instance; try 'herald simulate email' in another terminal")
        }

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        logger.notice("stopping", ["signal": received == SIGTERM ? "SIGTERM" : "SIGINT"])
        gateway.stop()
        logger.notice("stopped")
    }
}
