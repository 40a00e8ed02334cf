import HeraldCore
import Testing

@Suite struct SignatureHeadersTests {
    func lookup(_ headers: [String: String]) -> (String) -> String? {
        { name in headers[name] }
    }

    @Test func missingHeadersAreNamed() {
        #expect(throws: SignatureError.missingHeaders(["svix-id", "svix-timestamp", "svix-signature"])) {
            try SignatureHeaders.extract(self.lookup([:]))
        }
        #expect(throws: SignatureError.missingHeaders(["svix-signature"])) {
            try SignatureHeaders.extract(self.lookup(["svix-id": "msg_1", "svix-timestamp": "1"]))
        }
        #expect(throws: SignatureError.missingHeaders(["svix-timestamp"])) {
            try SignatureHeaders.extract(self.lookup(["svix-id": "msg_1", "svix-timestamp": "  ", "svix-signature": "v1,x"]))
        }
    }

    @Test func svixPreferredWebhookFallback() throws {
        let both = try SignatureHeaders.extract(lookup([
            "svix-id": "a", "svix-timestamp": "1", "svix-signature": "v1,AA==",
            "webhook-id": "b", "webhook-timestamp": "2", "webhook-signature": "v1,AA==",
        ]))
        #expect(both.id == "a")
        let partialSvix = try SignatureHeaders.extract(lookup([
            "svix-id": "a", "webhook-id": "b", "webhook-timestamp": "2", "webhook-signature": "v1,AA==",
        ]))
        #expect(partialSvix.id == "b")
    }

    @Test(arguments: ["1.0", "-5", "abc", "1e9", "99999999999999999999", "+1"])
    func malformedTimestamps(_ text: String) {
        #expect(throws: SignatureError.malformedHeader("svix-timestamp")) {
            try SignatureHeaders.extract(self.lookup(["svix-id": "a", "svix-timestamp": text, "svix-signature": "v1,AA=="]))
        }
    }

    @Test func idWithControlCharactersIsMalformed() {
        #expect(throws: SignatureError.malformedHeader("svix-id")) {
            try SignatureHeaders.extract(self.lookup(["svix-id": "a\u{7}b", "svix-timestamp": "1", "svix-signature": "v1,AA=="]))
        }
    }

    @Test func onlyStrictV1EntriesCount() throws {
        let headers = try SignatureHeaders.extract(lookup([
            "svix-id": "a", "svix-timestamp": "1",
            "svix-signature": "v1a,AAAA v2,AAAA  v1,AQID v1,AQID,x v1,A!QID garbage v1,BAUG",
        ]))
        #expect(headers.v1Signatures == [[1, 2, 3], [4, 5, 6]])
    }

    @Test func secretsParseStrictly() throws {
        #expect(try WebhookSecret(parsing: "whsec_plJ3nmyCDGBKInavdOK15jsl").key.count == 18)
        #expect(throws: WebhookSecret.ParseError.notBase64) { try WebhookSecret(parsing: "whsec_not!base64") }
        #expect(throws: WebhookSecret.ParseError.empty) { try WebhookSecret(parsing: "whsec_") }
        #expect(throws: WebhookSecret.ParseError.tooShort(bytes: 3)) { try WebhookSecret(parsing: "AQID") }
        let list = try WebhookSecret.parseList("whsec_plJ3nmyCDGBKInavdOK15jsl, whsec_bPhKrT98ePOgD0NxiDKzu6vKZZMTur0t")
        #expect(list.count == 2)
        #expect(!String(describing: list[0]).contains("plJ3"))
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
    }
}
