import Foundation
@testable import HeraldCore
import HeraldCrypto
import Testing

/// AWS Signature Version 4 against the published vectors (AWS sig-v4 test suite as shipped in
/// botocore `tests/unit/auth/aws4_testsuite/`, and the IAM ListUsers walkthrough of the AWS
/// general reference), vendored from providers.md §5.1, plus fixtures computed with botocore
/// 1.43.11's `SigV4Auth` on the same credentials and time.
@Suite struct SigV4VectorTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    /// 20150830T123600Z
    static let time: Int64 = 1_440_938_160_000
    static let primitives = OpenSSLAuthenticator()

    /// Signs like the test suite: region us-east-1, service `service` unless given.
    func sign(
        _ method: String, host: String = "example.amazonaws.com", path: String = "/", query: String = "",
        headers: [SigV4.Header] = [], body: String = "", service: String = "service",
        credentials: AWSCredentials = credentials
    ) -> [SigV4.Header] {
        SigV4.sign(
            method: method, host: host, path: path, query: query, headers: headers, body: Array(body.utf8),
            credentials: credentials, region: "us-east-1", service: service, at: Self.time, primitives: Self.primitives)
    }

    func value(_ name: String, in headers: [SigV4.Header]) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// (SignedHeaders, Signature) out of an Authorization header.
    func parts(_ headers: [SigV4.Header]) -> (signed: String, signature: String)? {
        guard let authorization = value("Authorization", in: headers),
            let signed = authorization.range(of: "SignedHeaders="), let signature = authorization.range(of: ", Signature=")
        else { return nil }
        return (String(authorization[signed.upperBound..<signature.lowerBound]), String(authorization[signature.upperBound...]))
    }

    // MARK: - Published vectors

    @Test func getVanillaStepByStep() throws {
        let headers: [SigV4.Header] = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
        let canonical = SigV4.canonicalRequest(
            method: "GET", path: "/", query: "", headers: headers,
            payloadHash: SigV4.payloadHash(headers: headers, body: [], primitives: Self.primitives))
        #expect(
            canonical == """
                GET
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        let stringToSign = SigV4.stringToSign(
            amzDate: "20150830T123600Z", scope: "20150830/us-east-1/service/aws4_request", canonicalRequest: canonical,
            primitives: Self.primitives)
        #expect(
            stringToSign
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
        let key = SigV4.signingKey(
            secret: Self.credentials.secretAccessKey, date: "20150830", region: "us-east-1", service: "service",
            primitives: Self.primitives)
        #expect(SigV4.hex(key) == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
        let signature = SigV4.hex(Self.primitives.hmacSHA256(key: key, message: Array(stringToSign.utf8)))
        #expect(signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func getVanillaThroughSign() {
        let added = sign("GET")
        #expect(added.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(value("X-Amz-Date", in: added) == "20150830T123600Z")
        #expect(
            value("Authorization", in: added)
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test(arguments: [
        ("application/x-www-form-urlencoded", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        ("application/x-www-form-urlencoded; charset=utf8", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    ])
    func postXWWWFormURLEncoded(contentType: String, expected: String) throws {
        let headers: [SigV4.Header] = [("Content-Type", contentType)]
        #expect(
            SigV4.payloadHash(headers: headers, body: Array("Param1=value1".utf8), primitives: Self.primitives)
                == "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
        let result = try #require(parts(sign("POST", headers: headers, body: "Param1=value1")))
        #expect(result.signed == "content-type;host;x-amz-date")
        #expect(result.signature == expected)
    }

    @Test func postVanillaQuery() throws {
        let result = try #require(parts(sign("POST", query: "Param1=value1")))
        #expect(result.signed == "host;x-amz-date")
        #expect(result.signature == "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")
    }

    @Test func getVanillaWithSessionToken() throws {
        var credentials = Self.credentials
        credentials.sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        let added = sign("GET", credentials: credentials)
        #expect(added.map(\.name) == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"])
        #expect(value("X-Amz-Security-Token", in: added) == credentials.sessionToken)
        let result = try #require(parts(added))
        #expect(result.signed == "host;x-amz-date;x-amz-security-token")
        #expect(result.signature == "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8")
    }

    @Test func iamListUsersWalkthrough() throws {
        let headers: [SigV4.Header] = [
            ("Host", "iam.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("X-Amz-Date", "20150830T123600Z"),
        ]
        let canonical = SigV4.canonicalRequest(
            method: "GET", path: "/", query: "Action=ListUsers&Version=2010-05-08", headers: headers,
            payloadHash: SigV4.payloadHash(headers: headers, body: [], primitives: Self.primitives))
        #expect(
            SigV4.hex(Self.primitives.sha256(Array(canonical.utf8)))
                == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
        let key = SigV4.signingKey(
            secret: Self.credentials.secretAccessKey, date: "20150830", region: "us-east-1", service: "iam",
            primitives: Self.primitives)
        #expect(SigV4.hex(key) == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
        let result = try #require(
            parts(
                sign(
                    "GET", host: "iam.amazonaws.com", query: "Action=ListUsers&Version=2010-05-08",
                    headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")], service: "iam")))
        #expect(result.signed == "content-type;host;x-amz-date")
        #expect(result.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    // MARK: - Self-computed, cross-checked with botocore

    @Test func sesV2SendEmail() throws {
        let body =
            #"{"FromEmailAddress":"sender@example.com","Destination":{"ToAddresses":["to@example.org"]},"#
            + #""Content":{"Simple":{"Subject":{"Data":"Hi"},"Body":{"Text":{"Data":"Hello"}}}}}"#
        let hash = SigV4.hex(Self.primitives.sha256(Array(body.utf8)))
        #expect(hash == "83b61a137bf6bbb7193c1a2d1607172d0fa68692bedc4f3d0c7ee42cc33a5ad4")
        let added = sign(
            "POST", host: "email.us-east-1.amazonaws.com", path: "/v2/email/outbound-emails",
            headers: [("Content-Type", "application/json"), ("X-Amz-Content-Sha256", hash)], body: body, service: "ses")
        let result = try #require(parts(added))
        #expect(result.signed == "content-type;host;x-amz-content-sha256;x-amz-date")
        #expect(result.signature == "e302ee9a1808f73333e25d2467a7ac0e7b6903f479529708b9014be57316c107")
        #expect(value("Authorization", in: added)?.contains("/20150830/us-east-1/ses/aws4_request, ") == true)
    }

    @Test func snsPublish() throws {
        let body = "Action=Publish&Message=Your%20code%20is%20123456&PhoneNumber=%2B15555550100&Version=2010-03-31"
        #expect(
            SigV4.hex(Self.primitives.sha256(Array(body.utf8)))
                == "f008d043489098871055c3a9d05ffedaa49a3e9813dd49e7603db458fa42cdab")
        let result = try #require(
            parts(
                sign(
                    "POST", host: "sns.us-east-1.amazonaws.com",
                    headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: body,
                    service: "sns")))
        #expect(result.signed == "content-type;host;x-amz-date")
        #expect(result.signature == "fff37c011eb7f3a01e51649dd79617165b94c2f131f530bbccebe057bcd52fc0")
    }

    /// botocore quotes the already-encoded path again (`%40` -> `%2540`) after removing dot
    /// and empty segments.
    @Test func pathIsNormalisedAndEncodedAgainAsBotocoreDoes() throws {
        let path = "/v2/email/identities/sender%40example.com/./a/../b//c/"
        #expect(SigV4.canonicalURI(path) == "/v2/email/identities/sender%2540example.com/b/c/")
        let result = try #require(parts(sign("GET", path: path)))
        #expect(result.signature == "e7542c3430368f1d2b93c0f54659fd768b8d2805c4ae00f270cf27c4463787fe")
        #expect(SigV4.canonicalURI("") == "/")
        #expect(SigV4.canonicalURI("/") == "/")
        #expect(SigV4.canonicalURI("//") == "/")
        #expect(SigV4.canonicalURI("/a b/é") == "/a%20b/%C3%A9")
    }

    @Test func queryIsSortedByKeyThenValueWithEmptyValues() throws {
        let query = "b=2&a=z&a=y&c&A=~&sp=a%20b&u=%C3%A9"
        #expect(SigV4.canonicalQuery(query) == "A=~&a=y&a=z&b=2&c=&sp=a%20b&u=%C3%A9")
        let result = try #require(parts(sign("GET", query: query)))
        #expect(result.signature == "a1124cda722d0f409fdc6a8a27fb129124deb3ddbe7c04b4a0026e05c4e993b0")
        // Re-encoded per RFC 3986 (botocore would sign a non-canonical query as it stands;
        // AWS decodes and re-encodes), so both spellings sign the same.
        #expect(SigV4.canonicalQuery("%41=%7e&x=a+b&y=%2f&&z=%zz") == "A=~&x=a%2Bb&y=%2F&z=%25zz")
        #expect(SigV4.canonicalQuery("") == "")
    }

    @Test func headersAreTrimmedJoinedAndHopByHopOnesLeftOut() throws {
        let headers: [SigV4.Header] = [
            ("Host", "example.amazonaws.com"), ("My-Header1", "  value1  with   spaces \t"), ("My-Header1", "value2"),
            ("User-Agent", "curl"), ("Connection", "keep-alive"), ("Expect", "100-continue"), ("Proxy-Authorization", "x"),
            ("X-Amzn-Trace-Id", "x"),
        ]
        let (lines, signed) = SigV4.canonicalHeaders(headers + [("X-Amz-Date", "20150830T123600Z")])
        #expect(lines == "host:example.amazonaws.com\nmy-header1:value1 with spaces,value2\nx-amz-date:20150830T123600Z\n")
        #expect(signed == "host;my-header1;x-amz-date")
        let result = try #require(parts(sign("GET", headers: headers)))
        #expect(result.signature == "533ef5ed6b7845b13390a41ec11f30a9ab70b2e0c419e9ba69886b5bb1dd950d")
    }

    // MARK: - The signer's own rules

    @Test func callerDatesAndAuthorizationAreReplacedNotSigned() {
        let plain = sign("GET")
        let withStale = sign("GET", headers: [("x-amz-date", "19990101T000000Z"), ("Authorization", "AWS4-HMAC-SHA256 old")])
        #expect(plain.map(\.value) == withStale.map(\.value))
    }

    @Test func aHostHeaderWinsOverTheHostParameter() {
        #expect(
            sign("GET", host: "ignored.example", headers: [("Host", "example.amazonaws.com")]).map(\.value)
                == sign("GET").map(\.value))
    }

    @Test(arguments: [
        (Int64(1_440_938_160_999), "20150830T123600Z"), (951_868_799_000, "20000229T235959Z"),
        (946_598_400_000, "19991231T000000Z"), (2_147_483_648_000, "20380119T031408Z"), (-1000, "19691231T235959Z"),
    ])
    func amzDateIsUTCWithoutACalendar(milliseconds: Int64, expected: String) {
        #expect(SigV4.amzDate(milliseconds) == expected)
    }

    @Test func credentialsNeverShowTheSecret() {
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: "session-token-value")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [
            credentials.description, credentials.debugDescription, String(describing: credentials),
            String(reflecting: credentials), "\(credentials)", dumped, String(describing: [credentials]),
        ] {
            #expect(text.contains("AKIDEXAMPLE"))
            #expect(!text.contains("EXAMPLEKEY"))
            #expect(!text.contains("session-token-value"))
        }
    }
}
