import Foundation
import HeraldCore
import HeraldCurl
import HeraldTestSupport
import Testing

/// Where `herald serve` listens, takes webhooks, keeps its store, reads its templates and
/// locales, writes its outbox, and which configuration file it reads: each setting, given
/// by its variable and by its file key, changes what the process does. Every value differs
/// from the default, so a setting parsed and then ignored fails.
@Suite(.serialized) struct PathSettingsTests {
    func healthy(_ host: String, _ port: UInt16) -> Bool {
        (try? HTTPClient().send(method: "GET", url: "http://\(host):\(port)/healthz", timeoutSeconds: 3).status) == 200
    }

    /// `host` empty: the `:port` form (all interfaces).
    @Test(arguments: [(Via.environment, "127.0.0.2"), (.file, "127.0.0.2"), (.environment, "")])
    func listenIsWhereItServes(_ via: Via, _ host: String) throws {
        let port = try freeListeningPort()
        let gateway = try ServeGateway.with("HERALD_LISTEN", key: "listen", .string("\(host):\(port)"), via: via)
        #expect(gateway.port == String(port))
        #expect(healthy("127.0.0.2", port))
        // Only that address unless all interfaces were asked for.
        #expect(healthy("127.0.0.1", port) == host.isEmpty)
        #expect(gateway.child.waitFor { $0.stderr.contains("listen=\(host.isEmpty ? "0.0.0.0" : host):\(port)") })
        #expect(gateway.stop() == 0)
    }

    @Test(arguments: Via.allCases)
    func webhooksAreTakenAtTheWebhookPathOnly(_ via: Via) throws {
        let gateway = try ServeGateway.with("HERALD_WEBHOOK_PATH", key: "webhook_path", .string("/hooks/clerk-in"), via: via)
        #expect(try gateway.post("/hooks/clerk-in") == 200)
        #expect(try gateway.post("/webhooks/clerk") == 404)
        // simulate posts where serve listens.
        #expect(try gateway.herald("simulate", "sms").0 == 0)
        #expect(try gateway.herald("log", "--json").1.split(separator: "\n").count == 2)
        #expect(gateway.stop() == 0)
    }

    @Test(arguments: Via.allCases)
    func theDatabaseIsThatFileCreatedWithItsFolder(_ via: Via) throws {
        let gateway = try ServeGateway.with("HERALD_DATABASE", key: "database", .string("store/nested/messages.db"), via: via)
        #expect(gateway.exists("store/nested/messages.db"))
        #expect(try gateway.post() == 200)
        #expect(gateway.waitForOutbox("sms/1.json") != nil)
        #expect(gateway.stop() == 0)
        #expect(!gateway.exists("var/herald.db"))
        // The CLI reads the same file.
        let (status, log, _) = try gateway.herald("log", "--json")
        #expect(status == 0)
        #expect(log.contains("\"status\":\"sent\""))
        #expect(gateway.child.waitFor { $0.stderr.contains("database=store/nested/messages.db") })
    }

    @Test(arguments: Via.allCases)
    func templatesComeFromThatFolder(_ via: Via) throws {
        let templates = try templateFolder(["sms/verification_code.mustache": "from my templates {{otp_code}}"], in: try temporaryFolder())
        let gateway = try ServeGateway.with("HERALD_TEMPLATES", key: "templates", .string(templates.path), via: via)
        #expect(try gateway.post() == 200)
        #expect(gateway.waitForOutbox("sms/1.json")?.contains("from my templates 731055") == true)
        #expect(gateway.child.waitFor { $0.stderr.contains("templates=\"1 in \(templates.path)\"") })
        #expect(gateway.stop() == 0)
    }

    @Test(arguments: Via.allCases)
    func theLocaleIsReadAtTheLocalePath(_ via: Via) throws {
        let templates = try templateFolder([
            "sms/verification_code.mustache": "default {{otp_code}}",
            "fr/sms/verification_code.mustache": "fr {{otp_code}}",
            "de/sms/verification_code.mustache": "de {{otp_code}}",
        ], in: try temporaryFolder())
        let gateway = try ServeGateway.with("HERALD_LOCALE_PATH", key: "locale_path", .string("prefs.lang"), via: via, templates: templates)
        // The event has a locale at both places: the default path says de, the setting's fr.
        let event = String(decoding: try freshFixture("sms.created"), as: UTF8.self).replacingOccurrences(
            of: #""otp_code": "731055""#, with: #""otp_code": "731055", "prefs": {"lang": "fr"}, "user": {"public_metadata": {"locale": "de"}}"#)
        #expect(try gateway.post(body: Array(event.utf8)) == 200)
        #expect(gateway.waitForOutbox("sms/1.json")?.contains("\"fr 731055\"") == true, "\(gateway.outbox("sms/1.json") ?? "none")")
        #expect(gateway.stop() == 0)
    }

    @Test(arguments: Via.allCases)
    func theOutboxIsWrittenThere(_ via: Via) throws {
        let gateway = try ServeGateway.with("HERALD_OUTBOX", key: "outbox", .string("deliveries/out"), via: via)
        #expect(try gateway.post() == 200)
        #expect(gateway.waitForFile("deliveries/out/sms/1.json")?.contains("\"to\":\"+15555550123\"") == true)
        #expect(gateway.child.waitFor { $0.stderr.contains("sms via outbox deliveries/out") })
        #expect(gateway.stop() == 0)
        #expect(!gateway.exists("var/outbox"))
        let (_, shown, _) = try gateway.herald("show", "1", "--json")
        #expect(shown.contains("\"provider_id\":\"sms/1.json\""))
    }

    /// The configuration file: `config/herald.json` in the working directory when present,
    /// the file HERALD_CONFIG names instead when set, an error when that one is missing.
    @Test func theConfigurationFileIsTheDefaultOneOrTheNamedOne() throws {
        let folder = try temporaryFolder()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("config"), withIntermediateDirectories: true)
        try Data(#"{"webhook_path": "/from-default-file"}"#.utf8).write(to: folder.appendingPathComponent("config/herald.json"))
        let byDefault = try ServeGateway(folder: folder)
        #expect(byDefault.child.waitFor { $0.stderr.contains("config=config/herald.json") })
        #expect(try byDefault.post("/from-default-file") == 200)
        #expect(try byDefault.post("/webhooks/clerk") == 404)
        #expect(byDefault.stop() == 0)

        let named = try ServeGateway.configured(#"{"webhook_path": "/from-named-file"}"#, folder: folder)
        #expect(try named.post("/from-named-file") == 200)
        #expect(try named.post("/from-default-file") == 404)
        #expect(named.stop() == 0)

        let missing = folder.appendingPathComponent("nowhere.json").path
        let (status, _, error) = try Child.run(
            ["serve"], environment: ["HERALD_CONFIG": missing, "HERALD_WEBHOOK_SECRET": testSecretText, "HERALD_LISTEN": "127.0.0.1:0"], directory: folder)
        #expect(status == 1)
        #expect(error.contains("Error: cannot read configuration file \"\(missing)\""))
    }
}
