import Foundation
import HeraldCore
import HeraldCrypto
import Testing

/// One entry of `svix_vectors.json` (generated with the official svix / standardwebhooks
/// libraries; see ../shared/vectors/make_vectors.py).
struct SvixVector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var secret: String
    var verify_secret: String?
    var payload_b64: String?
    var payload_utf8: String?
    var headers: [String: String]
    var verify_at: Int64
    var expect: String?
    var expected_v1_signature_for_headers: String?

    var testDescription: String { name }

    var body: [UInt8] {
        if let payload_b64 { return [UInt8](Data(base64Encoded: payload_b64)!) }
        return Array((payload_utf8 ?? "").utf8)
    }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name }?.value
    }
}

struct VectorFile: Decodable {
    var vectors: [SvixVector]
    var quirks: [SvixVector]

    static let shared: VectorFile = {
        let url = Bundle.module.url(forResource: "Fixtures/svix_vectors", withExtension: "json")!
        return try! JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
    }()
}

@Suite struct SvixVectorTests {
    @Test func allTwentySevenVectorsArePresent() {
        #expect(VectorFile.shared.vectors.count == 27)
    }

    /// Why each invalid vector must be refused, from its description in the vector file: a
    /// verifier that refuses it for another reason (a stale timestamp taken for a bad
    /// signature, a parse error for a mismatch) fails here. Valid vectors are not listed.
    static let rejections: [String: SignatureError] = [
        "trailing_newline_stripped": .noMatchingSignature,
        "reserialized_payload": .noMatchingSignature,
        "only_non_v1_versions": .noMatchingSignature,
        "tampered_payload": .noMatchingSignature,
        "wrong_msg_id": .noMatchingSignature,
        "wrong_timestamp_header": .noMatchingSignature,
        "timestamp_301s_old": .timestampTooOld,
        "timestamp_301s_new": .timestampTooNew,
    ]

    @Test func everyInvalidVectorHasItsReasonAndNoOther() {
        let invalid = Set(VectorFile.shared.vectors.filter { $0.expect == "invalid" }.map(\.name))
        #expect(invalid == Set(Self.rejections.keys))
        #expect(VectorFile.shared.vectors.allSatisfy { $0.expect == "valid" || $0.expect == "invalid" })
    }

    @Test(arguments: VectorFile.shared.vectors)
    func vector(_ vector: SvixVector) throws {
        let secret = try WebhookSecret(parsing: vector.verify_secret ?? vector.secret)
        let verifier = WebhookVerifier(secrets: [secret], authenticator: OpenSSLAuthenticator())
        let result = Result { () throws(SignatureError) in
            try verifier.verify(headers: vector.header, body: vector.body, now: vector.verify_at)
        }
        switch (vector.expect, result) {
        case ("valid", .success(let headers)):
            #expect(headers.id == vector.header("svix-id") ?? vector.header("webhook-id"))
        case ("invalid", .failure(let error)):
            #expect(error == Self.rejections[vector.name], "\(vector.name)")
        default:
            Issue.record("\(vector.name): expected \(vector.expect ?? "?"), got \(result)")
        }
    }

    @Test(arguments: VectorFile.shared.vectors.filter { $0.expected_v1_signature_for_headers != nil })
    func computedMACMatchesTheVector(_ vector: SvixVector) throws {
        let secret = try WebhookSecret(parsing: vector.verify_secret ?? vector.secret)
        let verifier = WebhookVerifier(secrets: [secret], authenticator: OpenSSLAuthenticator())
        let headers = try SignatureHeaders.extract(vector.header)
        let signed = verifier.sign(id: headers.id, timestamp: headers.timestamp, body: vector.body)
        #expect(signed == "v1," + vector.expected_v1_signature_for_headers!)
    }

    /// Malformed headers, resolved as the vector file recommends: skip empty and comma-less
    /// tokens, reject a value with an extra comma or junk (it is no base64, so no signature
    /// is left), accept only digits as timestamp (after trimming optional white space).
    /// nil: accepted.
    static let quirks: [(String, SignatureError?)] = [
        ("double_space_between_entries", nil),
        ("token_without_comma", nil),
        ("token_with_two_commas", .noMatchingSignature),
        ("non_base64_junk_in_signature", .noMatchingSignature),
        ("fractional_timestamp_header", .malformedHeader("svix-timestamp")),
        ("whitespace_padded_timestamp", nil),
    ]

    @Test(arguments: quirks)
    func quirk(_ name: String, _ rejection: SignatureError?) throws {
        let quirk = try #require(VectorFile.shared.quirks.first { $0.name == name })
        let verifier = WebhookVerifier(secrets: [try WebhookSecret(parsing: quirk.secret)], authenticator: OpenSSLAuthenticator())
        let result = Result { () throws(SignatureError) in try verifier.verify(headers: quirk.header, body: quirk.body, now: quirk.verify_at) }
        switch result {
        case .success: #expect(rejection == nil, "\(name) was accepted")
        case .failure(let error): #expect(error == rejection, "\(name)")
        }
    }

    @Test func everyQuirkIsResolved() {
        #expect(Set(VectorFile.shared.quirks.map(\.name)) == Set(Self.quirks.map(\.0)))
    }

    @Test func rotationAcceptsEitherOfSeveralSecrets() throws {
        let vector = try #require(VectorFile.shared.vectors.first { $0.name == "rotation_verify_with_old_key" })
        let unrelated = WebhookSecret(key: Array(repeating: 7, count: 24))
        let verifier = WebhookVerifier(
            secrets: [unrelated, try WebhookSecret(parsing: vector.verify_secret!)], authenticator: OpenSSLAuthenticator())
        #expect(throws: Never.self) { try verifier.verify(headers: vector.header, body: vector.body, now: vector.verify_at) }
        let wrongOnly = WebhookVerifier(secrets: [unrelated], authenticator: OpenSSLAuthenticator())
        #expect(throws: SignatureError.noMatchingSignature) {
            try wrongOnly.verify(headers: vector.header, body: vector.body, now: vector.verify_at)
        }
    }

    @Test func staleAndFutureTimestampsAreTold() throws {
        let vector = try #require(VectorFile.shared.vectors.first { $0.name == "svix_docs_example" })
        let verifier = WebhookVerifier(secrets: [try WebhookSecret(parsing: vector.secret)], authenticator: OpenSSLAuthenticator())
        #expect(throws: SignatureError.timestampTooOld) {
            try verifier.verify(headers: vector.header, body: vector.body, now: vector.verify_at + 301)
        }
        #expect(throws: SignatureError.timestampTooNew) {
            try verifier.verify(headers: vector.header, body: vector.body, now: vector.verify_at - 301)
        }
    }

    @Test func rfc4231TestCase2() {
        let mac = OpenSSLAuthenticator().hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined()
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
