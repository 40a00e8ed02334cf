import HeraldCore
import Testing

@Suite struct MessageComposerTests {
    func event(_ file: String, _ change: (inout [String: JSONValue]) -> Void = { _ in }) throws -> JSONValue {
        try JSONValue.parse(try mutated(file, change))
    }

    let sources = [
        "partials/signature.mustache": "The {{app.name}} team",
        "email/verification_code/subject.mustache": "{{otp_code}} is your {{app.name}} code",
        "email/verification_code/html.mustache": "<p>{{otp_code}}</p><p>{{> signature}}</p>",
        "email/verification_code/text.mustache": "Code: {{otp_code}}\n{{> signature}}",
        "fr/email/verification_code/subject.mustache": "{{otp_code}} est votre code",
        "fr/email/verification_code/text.mustache": "Code : {{otp_code}}\n{{> signature}}",
        "fr/partials/signature.mustache": "L'équipe {{app.name}}",
        "sms/verification_code.mustache": "{{otp_code}} is your {{app.name}} code",
    ]

    @Test func rendersEveryPartFromTemplates() throws {
        let composer = MessageComposer(templates: TemplateSet(sources: sources))
        let message = try composer.compose(channel: .email, event: try event("email.created"))
        #expect(message.subject == "482913 is your Example App code")
        #expect(message.html == "<p>482913</p><p>The Example App team</p>")
        #expect(message.text == "Code: 482913\nThe Example App team")
        #expect(message.source == .template(path: "email/verification_code", locale: ""))
        let sms = try composer.compose(channel: .sms, event: try event("sms.created"))
        #expect(sms.text == "731055 is your Example App code")
    }

    @Test(arguments: [("fr-CA", "fr"), ("fr", "fr"), ("de", ""), ("../etc", "")])
    func localeChain(_ locale: String, _ used: String) throws {
        let composer = MessageComposer(templates: TemplateSet(sources: sources))
        let message = try composer.compose(channel: .email, event: try event("email.created") { data in
            guard case .object(var variables) = data["data"] else { return }
            variables["user"] = .object(["public_metadata": .object(["locale": .string(locale)])])
            data["data"] = .object(variables)
        })
        #expect(message.source == .template(path: used.isEmpty ? "email/verification_code" : "\(used)/email/verification_code", locale: used))
        if used == "fr" {
            #expect(message.subject == "482913 est votre code")
            #expect(message.text == "Code : 482913\nL'équipe Example App")
            #expect(message.html == nil)
        }
    }

    @Test func chainOrder() {
        #expect(TemplateSet.chain("fr-CA") == ["fr-CA", "fr", ""])
        #expect(TemplateSet.chain("zh_Hant_TW") == ["zh_Hant_TW", "zh_Hant", "zh", ""])
        #expect(TemplateSet.chain(nil) == [""])
    }

    @Test func noTemplateSendsClerksRendering() throws {
        let composer = MessageComposer(templates: TemplateSet(sources: sources))
        let message = try composer.compose(channel: .email, event: try event("email.created") { $0["slug"] = .string("password_changed") })
        #expect(message.source == .clerk(reason: "no_template"))
        #expect(message.subject == "482913 is your verification code")
        #expect(message.html?.hasPrefix("<!DOCTYPE html>") == true)
        #expect(message.text?.hasPrefix("482913 is your verification code") == true)
    }

    @Test func aMissingCodeFallsBackToClerkWithTheReason() throws {
        let composer = MessageComposer(templates: TemplateSet(sources: sources))
        for value in [JSONValue.null, .string("")] {
            let message = try composer.compose(channel: .email, event: try event("email.created") { data in
                guard case .object(var variables) = data["data"] else { return }
                variables["otp_code"] = value
                data["data"] = .object(variables)
            })
            #expect(message.source == .clerk(reason: "template_error: variable 'otp_code' is missing or empty"))
            #expect(message.subject == "482913 is your verification code")
        }
    }

    @Test func brokenTemplateKeepsTheLastGoodVersion() throws {
        let good = TemplateSet(sources: sources)
        var edited = sources
        edited["email/verification_code/subject.mustache"] = "{{#oops}} unclosed"
        let broken = TemplateSet(sources: edited, fallback: good)
        #expect(broken.problems.map(\.path) == ["email/verification_code/subject.mustache"])
        #expect(broken.problems.first?.message.contains("line 1, column 1") == true)
        let message = try MessageComposer(templates: broken).compose(channel: .email, event: try event("email.created"))
        #expect(message.subject == "482913 is your Example App code")
        // Without a last good version, the broken file is simply absent: Clerk's subject is used.
        let fresh = TemplateSet(sources: edited)
        let fallback = try MessageComposer(templates: fresh).compose(channel: .email, event: try event("email.created"))
        #expect(fallback.subject == "482913 is your verification code")
        #expect(fallback.html == "<p>482913</p><p>The Example App team</p>")
    }

    @Test func nothingToSendIsAnError() throws {
        let composer = MessageComposer(templates: TemplateSet())
        #expect(throws: CompositionError.self) {
            try composer.compose(channel: .sms, event: try self.event("sms.created") { $0["message"] = .null })
        }
    }

    @Test func subjectsAreOneLine() throws {
        let composer = MessageComposer(templates: TemplateSet(sources: ["email/x/subject.mustache": "Hi\r\nBcc: evil@example.com", "email/x/text.mustache": "t"]))
        let message = try composer.compose(channel: .email, event: try event("email.created") { $0["slug"] = .string("x") })
        #expect(message.subject == "Hi Bcc: evil@example.com")
    }

    @Test func messageFieldsAreAvailable() throws {
        let composer = MessageComposer(templates: TemplateSet(sources: ["sms/verification_code.mustache": "{{message.to}} {{message.slug}} {{message.channel}}"]))
        #expect(try composer.compose(channel: .sms, event: try event("sms.created")).text == "+15555550123 verification_code sms")
    }

    @Test func inventoryListsEveryTemplate() {
        let set = TemplateSet(sources: sources)
        #expect(set.inventory.map { "\($0.channel.rawValue)/\($0.slug)/\($0.locale)" }
            == ["email/verification_code/", "email/verification_code/fr", "sms/verification_code/"])
    }

    @Test(arguments: ["verification_code", "password_changed", "x"])
    func composingFromThePayloadMatchesTheFullParse(_ slug: String) throws {
        for (templates, channel, file) in [
            (sources, Channel.email, "email.created"), ([:], .email, "email.created"),
            (["email/verification_code/subject.mustache": "only {{otp_code}}"], .email, "email.created"),
            (sources, .sms, "sms.created"), ([:], .sms, "sms.created"),
        ] as [([String: String], Channel, String)] {
            let composer = MessageComposer(templates: TemplateSet(sources: templates))
            let payload = try mutated(file) { $0["slug"] = .string(slug) }
            let (light, _) = try composer.compose(channel: channel, payload: payload)
            #expect(light == (try composer.compose(channel: channel, event: JSONValue.parse(payload))))
        }
    }
}
