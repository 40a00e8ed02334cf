import Foundation
import HeraldApp
import HeraldCore
import HeraldHTTPServer
import Testing

@Suite struct ConfigurationTests {
    @Test func committedExampleIsValidAndMatchesTheDefaults() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let loaded = try Configuration.load(environment: ["HERALD_CONFIG": root.appendingPathComponent("config/herald.json").path])
        let defaults = Configuration()
        #expect(loaded.listenHost == defaults.listenHost && loaded.listenPort == defaults.listenPort)
        #expect(loaded.webhookPath == defaults.webhookPath)
        #expect(loaded.database == defaults.database && defaults.database == .sqlite(path: "var/herald.db"))
        #expect(loaded.http.maxBodyBytes == 1 << 20)
        #expect(loaded.http.connectionLimit == defaults.http.connectionLimit)
        #expect(loaded.http.perIPConnectionLimit == defaults.http.perIPConnectionLimit)
        #expect(loaded.http.connectionTimeoutSeconds == defaults.http.connectionTimeoutSeconds)
        #expect(loaded.http.requestTimeoutSeconds == defaults.http.requestTimeoutSeconds)
        #expect(loaded.retention == defaults.retention && defaults.retention == 30 * 86_400_000)
    }

    @Test func retentionIsADurationOrOff() throws {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("herald.json")
        try Data(#"{"retention": "14d"}"#.utf8).write(to: file)
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": file.path]).retention == 14 * 86_400_000)
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": file.path, "HERALD_RETENTION": "36h"]).retention == 36 * 3_600_000)
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_RETENTION": "off"]).retention == nil)
        for bad in ["10m", "forever", "30", "-1d"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_RETENTION": bad])
            }
        }
        do {
            _ = try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_RETENTION": "10m"])
        } catch {
            #expect(error.description.contains("HERALD_RETENTION must be a duration of at least an hour"))
        }
    }

    @Test func environmentOverridesAndSecretAliases() throws {
        let loaded = try Configuration.load(environment: [
            "HERALD_CONFIG": "", "HERALD_LISTEN": "[::1]:9000", "HERALD_DATABASE": "/tmp/x.db", "HERALD_LOG_LEVEL": "debug",
            "CLERK_WEBHOOK_SIGNING_SECRET": "whsec_plJ3nmyCDGBKInavdOK15jsl whsec_bPhKrT98ePOgD0NxiDKzu6vKZZMTur0t",
        ])
        #expect(loaded.listenHost == "::1" && loaded.listenPort == 9000)
        #expect(loaded.localURL == "http://[::1]:9000/webhooks/clerk")
        #expect(loaded.database == .sqlite(path: "/tmp/x.db"))
        #expect(loaded.logLevel == .debug)
        #expect(loaded.secrets.count == 2)
        #expect(loaded.secretSource == "CLERK_WEBHOOK_SIGNING_SECRET")
        let preferred = try Configuration.load(environment: [
            "HERALD_WEBHOOK_SECRET": "whsec_plJ3nmyCDGBKInavdOK15jsl", "CLERK_WEBHOOK_SECRET": "whsec_bPhKrT98ePOgD0NxiDKzu6vKZZMTur0t",
        ])
        #expect(preferred.secretSource == "HERALD_WEBHOOK_SECRET")
        #expect(try Configuration.load(environment: ["HERALD_LISTEN": ":8080"]).listenHost == "0.0.0.0")
    }

    @Test func theDatabaseIsAFileOrAPostgreSQLURLAndNothingElse() throws {
        let url = "postgres://herald:pa55word@db.example:5432/herald?sslmode=verify-full"
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_DATABASE": url]).database == .postgres(url: url))
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_DATABASE": "sqlite:/tmp/h.db"]).database == .sqlite(path: "/tmp/h.db"))
        do {
            _ = try Configuration.load(environment: ["HERALD_CONFIG": "", "HERALD_DATABASE": "mysql://herald:pa55word@db/herald"])
            Issue.record("another scheme was taken for a file name")
        } catch {
            #expect(error.description.hasPrefix("HERALD_DATABASE: unsupported scheme 'mysql://'"))
            #expect(!error.description.contains("pa55word"))
        }
        // In the file, a URL without its password is fine; with one, refused.
        let file = try temporaryFolder().appendingPathComponent("c.json")
        try Data(#"{"database": "postgres://herald@db.example/herald"}"#.utf8).write(to: file)
        #expect(try Configuration.load(environment: ["HERALD_CONFIG": file.path]).database == .postgres(url: "postgres://herald@db.example/herald"))
        try Data(#"{"database": "postgres://herald:pa55word@db.example/herald"}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError.self) { try Configuration.load(environment: ["HERALD_CONFIG": file.path]) }
    }

    @Test(arguments: ["8787", "127.0.0.1:http", "127.0.0.1:70000", "[::1]"])
    func badListenAddresses(_ text: String) {
        #expect(throws: ConfigurationError.self) { try Configuration.load(environment: ["HERALD_LISTEN": text]) }
    }

    static let pasted = ["whsec_plJ3nmyCDGBKInavdOK15jsl", "sk_live_51HqLyjWDarjtT1zdp7dcXXXXXXXX", "SG.ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf"]

    /// A credential pasted into a setting that is not one: the error names the setting,
    /// never the value.
    @Test(arguments: pasted)
    func aSecretInAnotherSettingIsNeverEchoed(_ secret: String) throws {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("herald.json")
        let environments: [[String: String]] = [
            ["HERALD_LISTEN": secret], ["HERALD_LISTEN": "127.0.0.1:\(secret)"], ["HERALD_LISTEN": "[\(secret)]"],
            ["HERALD_METRICS_LISTEN": secret], ["HERALD_LOG_LEVEL": secret], ["HERALD_SMTP_CA_FILE": secret],
            ["HERALD_HTTP_CA_FILE": secret], ["HERALD_CONFIG": secret], ["HERALD_WEBHOOK_PATH": secret], ["HERALD_EMAIL_FROM": secret],
            ["HERALD_RETENTION": secret], ["HERALD_WORKERS": secret],
        ]
        let files = [
            #"{"listen": "\#(secret)"}"#, #"{"metrics_listen": "\#(secret)"}"#, #"{"log_level": "\#(secret)"}"#,
            #"{"\#(secret)": "x"}"#, #"{"http": {"\#(secret)": 1}}"#, #"{"delivery": {"\#(secret)": 1}}"#,
            #"{"delivery": {"max_age": {"\#(secret)": "x"}}}"#, #"{"\#(secret)": 1}"#, #"{"email_from": "\#(secret)"}"#,
            #"{"retention": "\#(secret)"}"#,
        ]
        var cases = environments.map { ($0, "\($0)") }
        for text in files {
            try Data(text.utf8).write(to: file)
            cases.append((["HERALD_CONFIG": file.path], text))
        }
        for (environment, label) in cases {
            do {
                _ = try Configuration.load(environment: environment)
                Issue.record("accepted: \(label)")
            } catch {
                #expect(!error.description.contains(secret), "\(label): \(error.description)")
                #expect(!error.description.contains(String(secret.prefix(12))), "\(label): \(error.description)")
            }
        }
        // The binary says which setting is wrong.
        let (status, _, stderr) = try Child.run(["check"], environment: ["HERALD_LISTEN": secret], directory: folder)
        #expect(status == 1)
        #expect(stderr.hasPrefix("Error: HERALD_LISTEN: listen address (a value that looks like a secret, not shown) needs host:port"))
        #expect(!stderr.contains(secret))
    }

    @Test func secretsInTheFileAreRefused() throws {
        let file = try temporaryFolder().appendingPathComponent("c.json")
        try Data(#"{"webhook_secret": "whsec_plJ3nmyCDGBKInavdOK15jsl"}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError.self) { try Configuration.load(environment: ["HERALD_CONFIG": file.path]) }
        try Data(#"{"http": {"max_body_bytes": -1}}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError.self) { try Configuration.load(environment: ["HERALD_CONFIG": file.path]) }
        #expect(throws: ConfigurationError.self) { try Configuration.load(environment: ["HERALD_CONFIG": file.path + ".missing"]) }
    }
}
