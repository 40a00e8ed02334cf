import Foundation
import HeraldCore
import Testing

extension ServeDeliveryTests.Gateway {
    /// A gateway with a configuration file (fast retries, a short provider timeout) and
    /// the given environment.
    static func withProviders(_ environment: [String: String], config: String = fastDelivery) throws -> ServeDeliveryTests.Gateway {
        try configured(config, environment)
    }

    /// A gateway with the configuration file `config` (written outside its folder, named by
    /// `HERALD_CONFIG`), if any, and the given environment.
    static func configured(
        _ config: String?, _ environment: [String: String] = [:], templates: URL? = nil, folder: URL? = nil, arguments: [String] = ["serve"]
    ) throws -> ServeDeliveryTests.Gateway {
        var environment = environment
        if let config {
            let file = try temporaryFolder().appendingPathComponent("herald.json")
            try Data(config.utf8).write(to: file)
            environment["HERALD_CONFIG"] = file.path
        }
        return try ServeDeliveryTests.Gateway(folder: folder, templates: templates, extraEnvironment: environment, arguments: arguments)
    }

    static var fastDelivery: String { #"{"delivery": {"retry_base_seconds": 1, "retry_max_seconds": 2, "max_attempts": 3, "provider_timeout_seconds": 1}}"# }

    /// `herald show ID --json`, once its status is `status` (or the last one seen after the timeout).
    func waitForStatus(_ id: Int, _ status: String, timeout: Double = 15) throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: JSONValue?
        while Date() < deadline {
            let (_, json, _) = try herald("show", String(id), "--json")
            last = try? JSONValue.parse(Array(json.utf8))
            if last?["status"] == .string(status) { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return last
    }

    /// Stops the gateway and returns its exit code.
    @discardableResult
    func stop() -> Int32? {
        child.process.terminate()
        return child.wait()
    }

    /// Every file under the gateway's folder (the store among them), as bytes.
    func storedBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let path = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) { bytes += data }
        }
        return bytes
    }
}

extension JSONValue {
    /// The attempts array of a `herald show --json` object.
    var attempts: [JSONValue] {
        if case .array(let items)? = self["attempts"] { return items }
        return []
    }
}

extension Array where Element == UInt8 {
    func contains(_ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard !needle.isEmpty, count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
