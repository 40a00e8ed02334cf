import Foundation
import HeraldApp
import HeraldCore
import HeraldTestSupport
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct TemplateStoreTests {
    func write(_ text: String, _ path: String, in folder: URL) throws {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func smsEvent() throws -> JSONValue { try JSONValue.parse(try fixture("sms.created")) }

    @Test func editsApplyWithoutRestartAndBrokenEditsKeepTheLastGoodVersion() throws {
        let folder = try temporaryFolder()
        try write("v1 {{otp_code}}", "sms/verification_code.mustache", in: folder)
        let logs = MemoryLogHandler()
        let store = TemplateStore(root: folder.path, checkInterval: 0, logger: Logger(label: "t", handler: logs))
        #expect(try store.composer().compose(channel: .sms, event: smsEvent()).text == "v1 731055")

        try write("v2 {{otp_code}} for {{app.name}}", "sms/verification_code.mustache", in: folder)
        #expect(try store.composer().compose(channel: .sms, event: smsEvent()).text == "v2 731055 for Example App")

        try write("v3 {{#broken}} {{otp_code}}", "sms/verification_code.mustache", in: folder)
        let composed = try store.composer().compose(channel: .sms, event: smsEvent())
        #expect(composed.text == "v2 731055 for Example App")
        #expect(store.current().problems.first?.path == "sms/verification_code.mustache")
        #expect(logs.all.contains { $0.message == "template broken, last good version kept" && $0.level == .error })

        try write("v4 {{otp_code}}", "sms/verification_code.mustache", in: folder)
        #expect(try store.composer().compose(channel: .sms, event: smsEvent()).text == "v4 731055")
        #expect(store.current().problems.isEmpty)

        try FileManager.default.removeItem(at: folder.appendingPathComponent("sms/verification_code.mustache"))
        #expect(try store.composer().compose(channel: .sms, event: smsEvent()).source == .clerk(reason: "no_template"))
    }

    @Test func checksAreRateLimited() throws {
        let folder = try temporaryFolder()
        try write("one", "sms/x.mustache", in: folder)
        let store = TemplateStore(root: folder.path, checkInterval: 3600)
        #expect(store.current().files.count == 1)
        try write("two", "sms/y.mustache", in: folder)
        #expect(store.current().files.count == 1)
        #expect(store.reload().files.count == 2)
    }
}

@Suite struct ShippedTemplatesTests {
    static let certainEmailSlugs = [
        "verification_code", "reset_password_code", "magic_link_sign_in", "magic_link_sign_up", "magic_link_user_profile",
        "invitation", "organization_invitation", "password_changed", "password_removed", "primary_email_address_changed",
    ]

    var store: TemplateStore { TemplateStore(root: repositoryRoot.appendingPathComponent("templates").path, checkInterval: 3600) }

    @Test func theyParseWithoutProblems() {
        #expect(store.current().problems.isEmpty)
    }

    @Test(arguments: certainEmailSlugs)
    func everyCertainEmailSlugRendersAllThreeParts(_ slug: String) throws {
        let (status, out, err) = try Child.run(["render", "email", slug], environment: ["HERALD_TEMPLATES": repositoryRoot.appendingPathComponent("templates").path])
        #expect(status == 0, "\(err)")
        #expect(out.hasPrefix("source: template email/\(slug)\n"))
        #expect(out.contains("--- text ---") && out.contains("--- html ---"))
        #expect(!out.contains("{{") && !out.contains("}}"))
        #expect(err.isEmpty)
    }

    @Test func theVerificationCodeEmailUsesOnlyCertainVariables() throws {
        // Clerk's official example carries exactly these; the email must render from them alone.
        var event = try JSONValue.parse(try fixture("email.created"))
        if case .object(var root) = event, case .object(var data) = root["data"], case .object(var variables) = data["data"] {
            variables["requested_from"] = nil
            data["data"] = .object(variables)
            root["data"] = .object(data)
            event = .object(root)
        }
        let composed = try store.composer().compose(channel: .email, event: event)
        #expect(composed.source == .template(path: "email/verification_code", locale: ""))
        #expect(composed.html?.contains("background-color:#f3f4f6") == true)
        #expect(composed.html?.contains(">482913<") == true)
        #expect(composed.text?.contains("482913") == true)
    }

    @Test func aMagicLinkEmailWithoutItsLinkFallsBackToClerk() throws {
        var event = try JSONValue.parse(try fixture("email.created"))
        if case .object(var root) = event, case .object(var data) = root["data"] {
            data["slug"] = .string("magic_link_sign_in")
            root["data"] = .object(data)
            event = .object(root)
        }
        let composed = try store.composer().compose(channel: .email, event: event)
        #expect(composed.source == .clerk(reason: "template_error: variable 'magic_link' is missing or empty"))
    }

    @Test(arguments: ["verification_code", "reset_password_code"])
    func smsFitOneSegment(_ slug: String) throws {
        var event = try JSONValue.parse(try fixture("sms.created"))
        if case .object(var root) = event, case .object(var data) = root["data"] {
            data["slug"] = .string(slug)
            root["data"] = .object(data)
            event = .object(root)
        }
        let composed = try store.composer().compose(channel: .sms, event: event)
        #expect(composed.source == .template(path: "sms/\(slug).mustache", locale: ""))
        let length = SMSLength(composed.text ?? "")
        #expect(length.encoding == .gsm7 && length.segments == 1)
    }

    @Test func theThemeColoursAreUsed() throws {
        let (_, html, _) = try Child.run(["render", "email", "magic_link_sign_in", "--part", "html"],
            environment: ["HERALD_TEMPLATES": repositoryRoot.appendingPathComponent("templates").path])
        #expect(html.contains("background-color:#4f46e5"))
        #expect(html.contains("https://accounts.example.com/v1/verify?token=sample-token"))
        #expect(html.contains("alt=\"Example App\""))
    }
}

@Suite struct TemplateCLITests {
    func folder(_ files: [String: String]) throws -> URL {
        let folder = try temporaryFolder()
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return folder
    }

    @Test func checkPassesOnTheShippedTemplates() throws {
        let (status, out, _) = try Child.run(["check"], environment: ["HERALD_TEMPLATES": repositoryRoot.appendingPathComponent("templates").path])
        #expect(status == 0)
        #expect(out.contains("12 message template(s)"))
        #expect(out.contains("0 problem(s)"))
    }

    @Test func checkReportsEveryKindOfProblem() throws {
        let templates = try folder([
            "email/a/subject.mustache": "Hi {{#app}}\n\n  {{/ap}}",
            "email/b/subject.mustache": "{{> missing_partial}}",
            "email/b/text.mustache": "{{otp_cod}}",
            "sms/long.mustache": String(repeating: "{{app.name}} ", count: 20),
            "sms/unicode.mustache": "{{otp_code}} — ваш код для {{app.name}}, никому его не сообщайте, пожалуйста, спасибо большое",
        ])
        let (status, out, _) = try Child.run(["check"], environment: ["HERALD_TEMPLATES": templates.path])
        #expect(status == 1)
        #expect(out.contains("problem: email/a/subject.mustache: line 3, column 3: '{{/ap}}' found where '{{/app}}' was expected"))
        #expect(out.contains("partial 'missing_partial' does not exist"))
        #expect(out.contains("variable 'otp_cod' is not one Clerk sends"))
        #expect(out.contains("email/b: does not render with the sample data"))
        #expect(out.contains("sms/long: 2 GSM-7 segments"))
        #expect(out.contains("sms/unicode: 2 UCS-2 segments"))
    }

    @Test func checkFailsOnABadConfiguration() throws {
        let (status, _, err) = try Child.run(["check"], environment: ["HERALD_LISTEN": "nowhere"])
        #expect(status == 1)
        #expect(err.contains("listen address"))
    }

    @Test func renderSaysWhenClerksRenderingWouldBeSent() throws {
        let templates = try folder(["sms/verification_code.mustache": "{{otp_code}} code"])
        let environment = ["HERALD_TEMPLATES": templates.path]
        let (status, out, err) = try Child.run(["render", "email", "verification_code"], environment: environment)
        #expect(status == 0)
        #expect(out.hasPrefix("source: clerk rendering (no_template)"))
        #expect(err.contains("Clerk's own rendering would be sent (no_template)"))

        let data = templates.appendingPathComponent("data.json")
        try Data(#"{"app":{"name":"Acme"}}"#.utf8).write(to: data)
        let (_, sms, smsErr) = try Child.run(["render", "sms", "verification_code", "--data", data.path], environment: environment)
        #expect(sms.hasPrefix("source: clerk rendering (template_error: variable 'otp_code' is missing or empty)"))
        #expect(smsErr.contains("template_error"))

        let out2 = templates.appendingPathComponent("out.txt")
        #expect(try Child.run(["render", "sms", "verification_code", "--part", "text", "--out", out2.path], environment: environment).0 == 0)
        #expect(try String(contentsOf: out2, encoding: .utf8) == "731055 code")
    }

    @Test func renderPicksTheLocale() throws {
        let templates = try folder([
            "sms/verification_code.mustache": "{{otp_code}} is your code",
            "fr/sms/verification_code.mustache": "{{otp_code}} est votre code",
        ])
        let (_, out, _) = try Child.run(["render", "sms", "verification_code", "--locale", "fr-CA", "--part", "text"],
            environment: ["HERALD_TEMPLATES": templates.path])
        #expect(out == "731055 est votre code")
    }

    @Test func renderAnyTemplateFile() throws {
        let folder = try folder([
            "t.mustache": "<b>{{name}}</b> {{> footer}}",
            "partials/footer.mustache": "bye",
            "d.json": #"{"name":"<Ann>"}"#,
        ])
        let (status, out, _) = try Child.run([
            "render", "--template", folder.appendingPathComponent("t.mustache").path, "--data", folder.appendingPathComponent("d.json").path,
            "--partials", folder.appendingPathComponent("partials").path,
        ], environment: [:])
        #expect(status == 0)
        #expect(out == "<b>&lt;Ann&gt;</b> bye")
        let (bad, _, err) = try Child.run(["render", "--template", folder.appendingPathComponent("d.json").path + ".nope", "--data", "x"], environment: [:])
        #expect(bad == 1)
        #expect(err.hasPrefix("Error: cannot read"))
        #expect(try Child.run(["render", "--template", "x"], environment: [:]).0 == 64)
        #expect(try Child.run(["render", "email"], environment: [:]).0 == 64)
        #expect(try Child.run(["render", "email", "x", "--part", "body"], environment: [:]).0 == 64)
    }
}
