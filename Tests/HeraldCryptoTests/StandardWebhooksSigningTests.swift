import Foundation
import HeraldCore
import HeraldCrypto
import Testing

/// What a vector of `svix_vectors.json` says about its signer: the id, the time and the
/// secret it signed with, and the signature a correct signer gives.
struct SigningVector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var secret: String
    var verify_secret: String?
    var msg_id: String
    var signed_timestamp: String
    var payload_b64: String?
    var payload_utf8: String?
    var headers: [String: String]
    var expect: String?
    var expected_v1_signature_for_headers: String?

    var testDescription: String { name }

    var body: [UInt8] {
        if let payload_b64, let data = Data(base64Encoded: payload_b64) { return [UInt8](data) }
        return Array((payload_utf8 ?? "").utf8)
    }

    /// The `v1,...` entries of the vector's signature header.
    var signatures: [String] {
        let value = headers.first { $0.key.lowercased().hasSuffix("-signature") }?.value ?? ""
        return value.split(separator: " ").map(String.init)
    }

    struct File: Decodable {
        var vectors: [SigningVector]
    }

    /// The vectors a correct signer reproduces: valid ones, signed at the time in their header.
    static let valid: [SigningVector] = {
        guard let url = Bundle.module.url(forResource: "Fixtures/svix_vectors", withExtension: "json"),
            let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data)
        else { return [] }
        return file.vectors.filter { $0.expect == "valid" && $0.expected_v1_signature_for_headers != nil }
    }()
}

/// `RequestSigning.standardWebhooks` through `OpenSSLRequestSigner`: the official
/// standardwebhooks signing vector, the vendored Svix / Standard Webhooks vectors, and a
/// round trip through Herald's own `WebhookVerifier`.
@Suite struct StandardWebhooksSigningTests {
    let signer = OpenSSLRequestSigner()

    func signed(secret: String, id: String, seconds: Int64, body: [UInt8], extra: Int64 = 0) throws -> OutboundRequest {
        let request = OutboundRequest(
            method: "POST", url: "https://hooks.example.com/herald", headers: [HTTPField("Content-Type", "application/json")], body: body,
            signing: .standardWebhooks(secret: try WebhookSecret(parsing: secret), id: id))
        return signer.sign(request, at: seconds * 1000 + extra)
    }

    /// standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts,
    /// "sign function works" (the same vector in every official library).
    @Test func theOfficialStandardWebhooksSigningVector() throws {
        let request = try signed(
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", seconds: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8), extra: 999)
        #expect(request.headers == [
            HTTPField("Content-Type", "application/json"), HTTPField("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            HTTPField("webhook-timestamp", "1614265330"), HTTPField("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ])
        #expect(request.body == Array(#"{"test": 2432232314}"#.utf8))
        #expect(request.url == "https://hooks.example.com/herald")
    }

    @Test func theSecretWorksWithOrWithoutItsPrefix() throws {
        let bare = try signed(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", seconds: 1_614_265_330,
                              body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(bare.headers[field: "webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test(arguments: SigningVector.valid)
    func reproducesTheVendoredVector(_ vector: SigningVector) throws {
        let seconds = try #require(Int64(vector.signed_timestamp))
        let request = try signed(secret: vector.verify_secret ?? vector.secret, id: vector.msg_id, seconds: seconds, body: vector.body)
        let signature = try #require(request.headers[field: "webhook-signature"])
        #expect(signature == "v1," + (vector.expected_v1_signature_for_headers ?? ""))
        #expect(vector.signatures.contains(signature))
        #expect(request.headers[field: "webhook-id"] == vector.msg_id)
        #expect(request.headers[field: "webhook-timestamp"] == vector.signed_timestamp)
    }

    @Test func allNineteenValidVectorsAreReproduced() {
        #expect(SigningVector.valid.count == 19)
    }

    /// Herald's verifier (what the intake runs on Clerk's webhooks) accepts what the signer
    /// produces, and only that.
    @Test func heraldsOwnVerifierAcceptsWhatTheSignerProduces() throws {
        let secret = "whsec_bPhKrT98ePOgD0NxiDKzu6vKZZMTur0t"
        let body = Array(#"{"channel":"sms","body":"482913 is your code","to":"+15555550123"}"#.utf8)
        let request = try signed(secret: secret, id: "herald-msg_2abc-7", seconds: 1_787_303_700, body: body, extra: 512)
        let verifier = WebhookVerifier(secrets: [try WebhookSecret(parsing: secret)], authenticator: OpenSSLAuthenticator())
        let lookup = { (name: String) in request.headers[field: name] }
        let headers = try verifier.verify(headers: lookup, body: request.body, now: 1_787_303_760)
        #expect(headers.id == "herald-msg_2abc-7")
        #expect(headers.timestamp == 1_787_303_700)
        #expect(throws: SignatureError.noMatchingSignature) {
            try verifier.verify(headers: lookup, body: request.body + [0x20], now: 1_787_303_760)
        }
        let other = WebhookVerifier(secrets: [WebhookSecret(key: Array(repeating: 7, count: 24))], authenticator: OpenSSLAuthenticator())
        #expect(throws: SignatureError.noMatchingSignature) { try other.verify(headers: lookup, body: request.body, now: 1_787_303_760) }
        #expect(throws: SignatureError.timestampTooOld) { try verifier.verify(headers: lookup, body: request.body, now: 1_787_304_001) }
    }

    /// A retry: the same id, a fresh timestamp and so a fresh signature; headers the request
    /// already had under those names are replaced, not doubled.
    @Test func aLaterSendSignsAgainWithTheSameID() throws {
        let first = try signed(secret: "whsec_bPhKrT98ePOgD0NxiDKzu6vKZZMTur0t", id: "herald-msg_2abc-7", seconds: 1_787_303_700, body: [0x7B, 0x7D])
        let again = signer.sign(first, at: 1_787_303_705_000)
        #expect(again.headers.filter { $0.name.hasPrefix("webhook-") }.count == 3)
        #expect(again.headers[field: "webhook-id"] == first.headers[field: "webhook-id"])
        #expect(again.headers[field: "webhook-timestamp"] == "1787303705")
        #expect(again.headers[field: "webhook-signature"] != first.headers[field: "webhook-signature"])
    }

    @Test func aRequestWithoutSigningIsLeftAlone() {
        let request = OutboundRequest(method: "POST", url: "https://example.com/", body: [1])
        #expect(signer.sign(request, at: 0) == request)
    }
}
