import Foundation
import HeraldApp
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Testing

/// The signing secrets (three variable names, rotation, order), development mode, and the
/// log level, each proven by what `herald serve` accepts, refuses or writes.
@Suite(.serialized) struct SecretAndLogSettingsTests {
    @Test(arguments: ["HERALD_WEBHOOK_SECRET", "CLERK_WEBHOOK_SIGNING_SECRET", "CLERK_WEBHOOK_SECRET"])
    func eachSecretVariableVerifiesSignatures(_ variable: String) throws {
        let secret = otherSecret()
        var environment = ["HERALD_WEBHOOK_SECRET": ""]
        environment[variable] = secret
        let gateway = try ServeGateway.configured(nil, environment)
        #expect(gateway.child.waitFor { $0.stderr.contains("secrets=\"1 from \(variable)\"") })
        #expect(try gateway.post(secret: secret) == 200)
        #expect(try gateway.post(secret: testSecretText) == 401)
        // simulate signs with the configured secret.
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        #expect(gateway.stop() == 0)
    }

    @Test func heraldsVariableComesFirstThenClerksSigningSecret() throws {
        let (herald, signing, plain) = (otherSecret(), otherSecret(), otherSecret())
        let all = try ServeGateway.configured(nil, [
            "HERALD_WEBHOOK_SECRET": herald, "CLERK_WEBHOOK_SIGNING_SECRET": signing, "CLERK_WEBHOOK_SECRET": plain,
        ])
        #expect(try all.post(secret: herald) == 200)
        #expect(try all.post(secret: signing) == 401)
        #expect(try all.post(secret: plain) == 401)
        #expect(all.stop() == 0)
        let clerks = try ServeGateway.configured(nil, ["HERALD_WEBHOOK_SECRET": "", "CLERK_WEBHOOK_SIGNING_SECRET": signing, "CLERK_WEBHOOK_SECRET": plain])
        #expect(try clerks.post(secret: signing) == 200)
        #expect(try clerks.post(secret: plain) == 401)
        #expect(clerks.stop() == 0)
    }

    @Test(arguments: [" ", ",", ", "])
    func duringARotationEitherSecretVerifies(_ separator: String) throws {
        let (old, new) = (otherSecret(), otherSecret())
        let gateway = try ServeGateway.configured(nil, ["HERALD_WEBHOOK_SECRET": old + separator + new])
        #expect(gateway.child.waitFor { $0.stderr.contains("secrets=\"2 from HERALD_WEBHOOK_SECRET\"") })
        #expect(try gateway.post(secret: old) == 200)
        #expect(try gateway.post(secret: new) == 200)
        #expect(try gateway.post(secret: testSecretText) == 401)
        #expect(gateway.stop() == 0)
    }

    /// The settings marked "(never)" for the file: secrets, and provider URLs (they hold credentials).
    @Test(arguments: ["webhook_secret", "email_url", "sms_url", "smtp_url"])
    func aSecretInTheFileIsRefused(_ key: String) throws {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("herald.json")
        try Data(#"{"\#(key)": "\#(testSecretText)"}"#.utf8).write(to: file)
        let (status, _, error) = try Child.run(["serve"], environment: ["HERALD_CONFIG": file.path, "HERALD_LISTEN": "127.0.0.1:0"], directory: folder)
        #expect(status == 1)
        #expect(error.contains("secrets are not read from files"))
        #expect(!error.contains(testSecretText))
    }

    /// `HERALD_DEV=1` and `--dev` alike: no secret needed, the development secret accepted.
    @Test(arguments: [(["HERALD_DEV": "1"], ["serve"]), ([:], ["serve", "--dev"])])
    func developmentModeUsesTheDevelopmentSecret(_ environment: [String: String], _ arguments: [String]) throws {
        var environment = environment
        environment["HERALD_WEBHOOK_SECRET"] = ""
        let gateway = try ServeGateway.configured(nil, environment, arguments: arguments)
        #expect(gateway.child.waitFor { $0.stderr.contains("mode=development") })
        #expect(gateway.child.waitFor { $0.stderr.contains("secrets=\"1 from development secret\"") })
        #expect(try gateway.post(secret: Configuration.developmentSecret) == 200)
        #expect(try gateway.post(secret: testSecretText) == 401)
        #expect(gateway.stop() == 0)
        // Given explicitly, the development secret needs development mode too.
        let explicit = try ServeGateway.configured(nil, ["HERALD_WEBHOOK_SECRET": Configuration.developmentSecret].merging(environment) { old, _ in old }, arguments: arguments)
        #expect(try explicit.post(secret: Configuration.developmentSecret) == 200)
        #expect(explicit.stop() == 0)
    }

    /// Without development mode (HERALD_DEV unset, or anything but 1): no secret, or the
    /// development secret, stops serve.
    @Test(arguments: [nil, "0", "true"])
    func withoutDevelopmentModeTheDevelopmentSecretIsRefused(_ dev: String?) throws {
        let folder = try temporaryFolder()
        var environment = ["HERALD_LISTEN": "127.0.0.1:0", "HERALD_DATABASE": folder.appendingPathComponent("h.db").path]
        environment["HERALD_DEV"] = dev
        let (none, _, noneError) = try Child.run(["serve"], environment: environment, directory: folder)
        #expect(none == 1)
        #expect(noneError.contains("Error: no webhook signing secret"))
        environment["HERALD_WEBHOOK_SECRET"] = Configuration.developmentSecret
        let (development, _, developmentError) = try Child.run(["serve"], environment: environment, directory: folder)
        #expect(development == 1)
        #expect(developmentError.contains("HERALD_WEBHOOK_SECRET is the development secret"))
    }

    /// One line of each level that `serve` writes in this set-up: a webhook accepted (info),
    /// the start (notice), development mode (warning), a broken template (error).
    static let lines: [(text: String, level: Logger.Level)] = [
        ("msg=\"webhook accepted\"", .info), ("msg=\"herald listening\"", .notice), ("development mode", .warning), ("template broken", .error),
    ]

    @Test(arguments: [
        (Via.environment, "trace"), (.environment, "debug"), (.environment, "info"), (.environment, "notice"), (.environment, "warning"),
        (.environment, "error"), (.file, "warning"), (.file, "error"),
    ])
    func theLogLevelDecidesWhichLinesAreWritten(_ via: Via, _ level: String) throws {
        let folder = try temporaryFolder()
        let templates = try templateFolder(["sms/verification_code.mustache": "{{#unclosed}} {{otp_code}}"], in: folder)
        let port = String(try freeListeningPort())
        var environment = [
            "HERALD_LISTEN": "127.0.0.1:\(port)", "HERALD_DATABASE": folder.appendingPathComponent("h.db").path,
            "HERALD_OUTBOX": folder.appendingPathComponent("out").path, "HERALD_TEMPLATES": templates.path,
        ]
        switch via {
        case .environment: environment["HERALD_LOG_LEVEL"] = level
        case .file:
            let file = folder.appendingPathComponent("herald.json")
            try Data(#"{"log_level": "\#(level)"}"#.utf8).write(to: file)
            environment["HERALD_CONFIG"] = file.path
        }
        // The start line may be filtered out: wait for the port to answer instead.
        let serve = try Child(["serve", "--dev"], environment: environment, directory: folder)
        #expect(serve.waitFor { _ in (try? HTTPClient().send(method: "GET", url: "http://127.0.0.1:\(port)/healthz", timeoutSeconds: 1).status) == 200 })
        #expect(try postWebhook(port: port, secret: Configuration.developmentSecret) == 200)
        serve.process.terminate()
        #expect(serve.wait() == 0)
        let threshold = try #require(Logger.Level(name: level))
        for line in Self.lines {
            #expect(serve.stderr.contains(line.text) == (line.level >= threshold), "\(line.text) at \(level): \(serve.stderr)")
        }
    }
}
