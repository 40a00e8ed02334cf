import Foundation
import HeraldCore
import HeraldCurl
import Testing

/// Herald's SigV4 signer against a verifier that is not ours: moto 5.2.1 with IAM checking on
/// recomputes each signature with botocore. A correct signature passes; a wrong secret, a body
/// or date changed after signing, or an unknown key fails.
///
/// What moto 5.2.1 answers, recorded for the SES and SNS adapters' classifiers (every line is
/// asserted below):
///
/// * SES v2 `POST /v2/email/outbound-emails`, accepted: `200`, `Content-Type: text/html;
///   charset=utf-8` (sic), body `{"MessageId": "<id>"}`; `x-amzn-RequestId` header.
/// * SNS `Publish`, accepted: `200`, `Content-Type: text/xml`,
///   `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>
///   <uuid></MessageId></PublishResult><ResponseMetadata><RequestId>…</RequestId>…`.
/// * Auth failures, for SES and SNS alike: `403`, `Content-Type: text/html; charset=utf-8`, no
///   `x-amzn-ErrorType` header (an `x-amzn-RequestId` one), an XML body (also for rest-json SES)
///   with no RequestId in it:
///   `<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>CODE</Code>
///   <Message>…</Message><Type>Sender</Type></Error></Errors></ErrorResponse>` with CODE
///   * `SignatureDoesNotMatch`: wrong secret, body changed after signing, `X-Amz-Date` changed
///     after signing;
///   * `InvalidClientTokenId`: unknown access key, or a session token that is not the key's;
///   * `AccessDenied`: a valid signature for an action the policy does not allow.
///   Real AWS differs [mem]: SES v2 answers JSON with `x-amzn-ErrorType` (`InvalidSignatureException`,
///   `UnrecognizedClientException`, 403); SNS answers `SignatureDoesNotMatch` / `InvalidClientTokenId`
///   in its own `<ErrorResponse xmlns=…><Error>…</Error><RequestId>` shape. Classify by code.
/// * A stale but self-consistent `X-Amz-Date` (signed 20 minutes ago): moto answers `200`; it
///   never compares the date with its clock. AWS answers 403 "Signature expired" beyond about
///   15 minutes [mem]; moto cannot test that.
/// * SES v2 from an address that is not a verified identity: `400`, `x-amzn-ErrorType:
///   MessageRejected`, `Content-Type: application/json`, body
///   `{"__type": "MessageRejected", "Message": "Did not have authority to send from email <address>"}`.
///   (moto treats any created identity as verified, though CreateEmailIdentity answers
///   `"VerifiedForSendingStatus": false`.)
/// * SNS `Publish` to a number that is not E.164 (`^\+?[1-9]\d{1,14}$`): `400`,
///   `Content-Type: text/xml`, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
///   <Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Phone number does not meet
///   the E164 format</Message>…</Error><RequestId>…</RequestId></ErrorResponse>`.
/// * moto re-encodes a form body with Python's `urlencode` before it recomputes the signature,
///   so a correctly signed SNS body with `%20` for spaces gets `403 SignatureDoesNotMatch` from
///   moto (AWS accepts it). Encode form bodies as botocore does: space as `+`.
/// * moto can check only requests with a body: a correctly signed GET (`ListEmailIdentities`)
///   gets `403 SignatureDoesNotMatch`. It also decodes the path before recomputing, so an
///   encoded `%40` in a path fails (AWS wants it signed as `%2540`, as Herald does).
@Suite(MotoServer.Scope()) struct SigV4MotoTests {
    static let mime =
        "From: Herald Test <\(MotoServer.sender)>\r\nTo: jane@example.org\r\nSubject: Your code\r\n"
        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nYour code is 123456\r\n"

    static func sendEmail(from: String = MotoServer.sender) -> MotoServer.Request {
        let data = Base64.encode(Array(mime.utf8))
        return .json(
            service: "ses", path: "/v2/email/outbound-emails",
            body: #"{"FromEmailAddress":"\#(from)","Destination":{"ToAddresses":["jane@example.org"]},"#
                + #""Content":{"Raw":{"Data":"\#(data)"}}}"#)
    }

    static func publish(to phone: String = "+15555550100") -> MotoServer.Request {
        .form(
            service: "sns",
            ["Action": "Publish", "Version": "2010-03-31", "PhoneNumber": phone, "Message": "Your code is 123456"])
    }

    /// Both requests, for the tests that hold for either service.
    static let both: [MotoServer.Request] = [sendEmail(), publish()]

    func text(_ response: ClientResponse) -> String { MotoServer.text(response) }

    /// The error code of one of moto's XML auth errors.
    func authError(_ response: ClientResponse) -> String? {
        let body = text(response)
        guard body.contains("<ErrorResponse><Errors><Error>") else { return nil }
        return MotoServer.xmlValue("Code", in: body)
    }

    // MARK: - Accepted

    @Test func sesV2SendEmailSignedByHeraldIsAccepted() throws {
        let moto = try MotoServer.require()
        let response = try moto.send(Self.sendEmail())
        #expect(response.status == 200, "\(text(response))")
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        #expect(response.headers["x-amzn-requestid"]?.isEmpty == false)
        let json = try JSONValue.parse(response.body)
        #expect(json["MessageId"]?.stringValue?.isEmpty == false)
    }

    @Test func snsPublishSignedByHeraldIsAccepted() throws {
        let moto = try MotoServer.require()
        let request = Self.publish()
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550100&Message=Your+code+is+123456")
        let response = try moto.send(request)
        #expect(response.status == 200, "\(text(response))")
        #expect(response.headers["content-type"] == "text/xml")
        let body = text(response)
        #expect(body.hasPrefix(#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>"#))
        #expect(MotoServer.xmlValue("MessageId", in: body)?.count == 36)
        #expect(MotoServer.xmlValue("RequestId", in: body)?.isEmpty == false)
    }

    @Test(arguments: both)
    func temporaryCredentialsWithASessionTokenAreAccepted(_ request: MotoServer.Request) throws {
        let moto = try MotoServer.require()
        let temporary = try moto.assumeRole()
        #expect(temporary.accessKeyID.hasPrefix("ASIA"))
        let response = try moto.send(request, credentials: temporary)
        #expect(response.status == 200, "\(text(response))")

        var otherToken = temporary
        otherToken.sessionToken = "not-the-session-token"
        let refused = try moto.send(request, credentials: otherToken)
        #expect(refused.status == 403)
        #expect(authError(refused) == "InvalidClientTokenId")
    }

    // MARK: - Refused signatures

    @Test(arguments: both)
    func aWrongSecretIsRefused(_ request: MotoServer.Request) throws {
        let moto = try MotoServer.require()
        var wrong = moto.credentials
        wrong.secretAccessKey = String(wrong.secretAccessKey.reversed())
        let response = try moto.send(request, credentials: wrong)
        #expect(response.status == 403)
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        #expect(response.headers["x-amzn-errortype"] == nil)
        #expect(response.headers["x-amzn-requestid"]?.isEmpty == false)
        #expect(authError(response) == "SignatureDoesNotMatch")
        #expect(text(response).hasPrefix(#"<?xml version="1.0" encoding="utf-8"?>"#))
        #expect(MotoServer.xmlValue("Type", in: text(response)) == "Sender")
    }

    @Test(arguments: both)
    func aBodyChangedAfterSigningIsRefused(_ request: MotoServer.Request) throws {
        let moto = try MotoServer.require()
        let response = try moto.send(request) { _, body in
            // Another recipient for SES, another code for SNS.
            let text = String(decoding: body, as: UTF8.self)
            let changed = text.replacingOccurrences(of: "jane@", with: "joan@").replacingOccurrences(of: "123456", with: "654321")
            #expect(changed != text)
            body = Array(changed.utf8)
        }
        #expect(response.status == 403)
        #expect(authError(response) == "SignatureDoesNotMatch")
    }

    @Test(arguments: both)
    func aDateChangedAfterSigningIsRefused(_ request: MotoServer.Request) throws {
        let moto = try MotoServer.require()
        let response = try moto.send(request) { headers, _ in
            headers = headers.map { $0.name == "X-Amz-Date" ? ($0.name, "20200101T000000Z") : $0 }
        }
        #expect(response.status == 403)
        #expect(authError(response) == "SignatureDoesNotMatch")
    }

    @Test(arguments: both)
    func anUnknownAccessKeyIsRefused(_ request: MotoServer.Request) throws {
        let moto = try MotoServer.require()
        let unknown = AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: moto.credentials.secretAccessKey)
        let response = try moto.send(request, credentials: unknown)
        #expect(response.status == 403)
        #expect(authError(response) == "InvalidClientTokenId")
    }

    /// moto never compares X-Amz-Date with its clock: a request signed 20 minutes ago, date and
    /// signature consistent, is accepted. Real AWS refuses it (403, "Signature expired") [mem].
    @Test(arguments: both)
    func aStaleButConsistentDateIsNotCheckedByMoto(_ request: MotoServer.Request) throws {
        let moto = try MotoServer.require()
        let response = try moto.send(request, at: MotoServer.now() - 20 * 60 * 1000)
        #expect(response.status == 200, "\(text(response))")
    }

    @Test func aValidSignatureForAnActionThePolicyDoesNotAllowIsDenied() throws {
        let moto = try MotoServer.require()
        let response = try moto.send(.form(service: "iam", ["Action": "ListUsers", "Version": "2010-05-08"]))
        #expect(response.status == 403)
        #expect(authError(response) == "AccessDenied")
        #expect(text(response).contains("is not authorized to perform: iam:ListUsers"))
    }

    /// moto recomputes a form body's signature over Python's `urlencode` of the parsed fields:
    /// `%20` for a space, though correctly signed, does not survive that.
    @Test func motoRefusesAFormBodyWithPercent20ThoughItIsCorrectlySigned() throws {
        let moto = try MotoServer.require()
        var request = Self.publish()
        request.body = Array("Action=Publish&Version=2010-03-31&PhoneNumber=%2B15555550100&Message=Your%20code".utf8)
        let response = try moto.send(request)
        #expect(response.status == 403)
        #expect(authError(response) == "SignatureDoesNotMatch")
    }

    /// moto recomputes over the decoded path: botocore and Herald sign `/…/sender%40example.com`
    /// as `%2540` (what AWS wants for every service but S3), moto as `%40`. Sending needs no
    /// such path; calls on one identity do.
    @Test func motoDecodesThePathBeforeRecomputing() throws {
        let moto = try MotoServer.require()
        let body = #"{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}"#
        let encoded = try moto.send(
            .json(service: "ses", path: "/v2/email/identities/sender%40example.com/policies/one", body: body))
        #expect(encoded.status == 403)
        #expect(authError(encoded) == "SignatureDoesNotMatch")
        // `@` may stand unencoded in a path (RFC 3986 pchar): then both sides sign `%40`.
        let plain = try moto.send(
            .json(service: "ses", path: "/v2/email/identities/sender@example.com/policies/two", body: body))
        #expect(plain.status == 200, "\(text(plain))")
    }

    /// moto can check only requests with a body: for one without, it hashes the query, or its
    /// own dictionary of the request's headers, as the payload. So a correctly signed GET fails.
    @Test func motoCannotCheckARequestWithoutABody() throws {
        let moto = try MotoServer.require()
        let response = try moto.send(.json(service: "ses", method: "GET", path: "/v2/email/identities"))
        #expect(response.status == 403)
        #expect(authError(response) == "SignatureDoesNotMatch")
    }

    // MARK: - Provider errors behind a valid signature

    @Test func sesRefusesAnUnverifiedSender() throws {
        let moto = try MotoServer.require()
        let response = try moto.send(Self.sendEmail(from: "other@example.net"))
        #expect(response.status == 400)
        #expect(response.headers["x-amzn-errortype"] == "MessageRejected")
        #expect(response.headers["content-type"] == "application/json")
        let json = try JSONValue.parse(response.body)
        #expect(json["__type"]?.stringValue == "MessageRejected")
        #expect(json["Message"]?.stringValue == "Did not have authority to send from email other@example.net")
    }

    @Test func snsRefusesANumberThatIsNotE164() throws {
        let moto = try MotoServer.require()
        let response = try moto.send(Self.publish(to: "555-0100"))
        #expect(response.status == 400)
        #expect(response.headers["content-type"] == "text/xml")
        let body = text(response)
        #expect(body.hasPrefix(#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>"#))
        #expect(MotoServer.xmlValue("Code", in: body) == "InvalidParameter")
        #expect(MotoServer.xmlValue("Message", in: body) == "Phone number does not meet the E164 format")
        #expect(MotoServer.xmlValue("RequestId", in: body)?.isEmpty == false)
    }
}

extension MotoServer.Request: CustomTestStringConvertible {
    var testDescription: String { "\(service) \(method) \(path)" }
}
