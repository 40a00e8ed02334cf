import Foundation
import HeraldCore
import HeraldCurl

/// `herald status [--json]`: one screen for an operator. The figures come from the store
/// (every process); the circuits from the running serve's `GET /status`, when it answers.
enum StatusCommand {
    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: ["json"])
        try parsed.expectPositionals(max: 0, usage: "herald status [--json]")
        let configuration = try Configuration.load(environment: environment)
        let store = try StoreAccess.open(configuration)
        let report = try StatusReport.build(
            log: store, configured: configuration.providers.names, circuits: liveCircuits(configuration), now: Clock.nowMilliseconds())
        output.write(parsed.flag("json") ? report.json + "\n" : report.text)
    }

    /// The circuits of the serve listening at the configured address, if one answers.
    static func liveCircuits(_ configuration: Configuration) -> [ProviderHealth.Snapshot]? {
        let base = configuration.localURL.replacingOccurrences(of: configuration.webhookPath, with: "")
        guard let client = try? HTTPClient(),
            let response = try? client.send(method: "GET", url: base + "/status", timeoutSeconds: 2), response.status == 200,
            let json = try? JSONValue.parse(response.body), case .array(let items)? = json["providers"]
        else { return nil }
        return items.compactMap { item in
            guard let name = item["name"]?.stringValue, let circuit = item["circuit"]?.stringValue else { return nil }
            let until = item["open_until"]?.stringValue.flatMap(Timestamps.parseISO8601)
            return ProviderHealth.Snapshot(provider: name, circuit: circuit, openUntil: until, failuresInARow: 0, lastError: nil, lastErrorAt: nil)
        }
    }
}
