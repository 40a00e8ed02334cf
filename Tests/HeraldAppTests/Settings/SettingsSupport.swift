import Foundation
import HeraldCore
import HeraldCrypto
import HeraldCurl
import Testing

/// How a setting is given to `herald serve`: its environment variable, or its key in the
/// configuration file (`HERALD_CONFIG`).
enum Via: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case environment, file
    var testDescription: String { rawValue }
}

typealias ServeGateway = ServeDeliveryTests.Gateway

extension ServeDeliveryTests.Gateway {
    /// A gateway with `value` for one setting, given `via` its variable or its file key
    /// (`delivery.workers` nests as `{"delivery": {"workers": ...}}`). Given in the file,
    /// the variable the gateway sets by itself is emptied (empty counts as unset), so that
    /// the file's value is the one that counts.
    static func with(
        _ variable: String, key: String, _ value: JSONValue, via: Via, environment: [String: String] = [:], templates: URL? = nil,
        folder: URL? = nil, arguments: [String] = ["serve"]
    ) throws -> ServeGateway {
        var environment = environment
        var config: String?
        switch via {
        case .environment:
            environment[variable] = value.stringValue ?? value.serialized()
        case .file:
            environment[variable] = ""
            var nested = value
            for part in key.split(separator: ".").reversed() { nested = .object([String(part): nested]) }
            config = nested.serialized()
        }
        return try configured(config, environment, templates: templates, folder: folder, arguments: arguments)
    }

    /// A signed webhook posted to the gateway (see ``postWebhook(port:_:secret:body:id:)``).
    func post(_ path: String = "/webhooks/clerk", secret: String = testSecretText, body: [UInt8]? = nil, id: String? = nil) throws -> Int? {
        try postWebhook(port: port, path, secret: secret, body: body, id: id)
    }

    /// The names of the gateway's threads (`/proc/PID/task/*/comm`).
    var threadNames: [String] {
        let tasks = "/proc/\(child.process.processIdentifier)/task"
        return ((try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []).compactMap { task in
            (try? String(contentsOfFile: "\(tasks)/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }.sorted()
    }

    /// `path` under the gateway's folder, once it exists (or nil after the timeout).
    func waitForFile(_ path: String, timeout: Double = 15) -> String? {
        let url = folder.appendingPathComponent(path)
        _ = child.waitFor(timeout: timeout) { _ in FileManager.default.fileExists(atPath: url.path) }
        return try? String(contentsOf: url, encoding: .utf8)
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path)
    }
}

/// A webhook (the SMS sample unless `body`) signed with `secret` (the test secret unless
/// another), posted to 127.0.0.1:`port``path`; the HTTP status, nil when nothing answered.
func postWebhook(port: String, _ path: String = "/webhooks/clerk", secret: String = testSecretText, body: [UInt8]? = nil, id: String? = nil) throws -> Int? {
    let signer = WebhookVerifier(secrets: [try WebhookSecret(parsing: secret)], authenticator: OpenSSLAuthenticator())
    let body = try body ?? freshFixture("sms.created")
    let id = id ?? "msg_\(UUID().uuidString.prefix(8))"
    let timestamp = Int64(Date().timeIntervalSince1970)
    let headers = ["svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": signer.sign(id: id, timestamp: timestamp, body: body)]
    return try? HTTPClient().send(method: "POST", url: "http://127.0.0.1:\(port)\(path)", headers: headers, body: body, timeoutSeconds: 5).status
}

/// A secret that is not the test secret: signatures made with it must not pass.
func otherSecret() -> String {
    "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
}

/// A template folder in `folder` holding `files` (path -> text).
func templateFolder(_ files: [String: String], in folder: URL, named name: String = "templates") throws -> URL {
    let root = folder.appendingPathComponent(name)
    for (path, text) in files {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
    return root
}
