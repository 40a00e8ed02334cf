import Foundation
import HeraldCore
import HeraldCrypto
import HeraldTestSupport

/// SES v2 `SendEmail` or SNS `Publish` on 127.0.0.1, for what moto cannot be told to do
/// (throttle, fail, hang). It checks what AWS checks (../shared/reference/providers.md
/// sections 5, 5.1 and 14): the SigV4 `Authorization` (key, scope `…/REGION/SERVICE/aws4_request`,
/// and the signature recomputed over the `Host`, headers and body it received), the content
/// type and the fields; it answers as AWS does. The signature check uses Herald's signer, so
/// it catches a request changed after signing, not a wrong signer: moto checks that
/// (`SESDeliveryTests`, `SNSDeliveryTests`). After the checks each request takes the next
/// scripted behaviour (the last one repeats).
final class AWSDouble: Sendable {
    enum Service: String, Sendable {
        case ses, sns
    }

    enum Behavior: Sendable {
        case accept
        /// SES: 429 `TooManyRequestsException`; SNS: 400 `Throttling`.
        case throttle
        /// SES: 503 with no body; SNS: 500 `InternalError`.
        case unavailable
        /// SES: 400 `MessageRejected` for the content; SNS: 400 `InvalidParameter` for the number.
        case refuseRecipient
        case hang(seconds: Double)
    }

    static let keyID = "AKIAHERALDDOUBLE0001"
    static let secret = "double/Secret+Key0123456789abcdefghijklmn"
    static let region = "eu-west-1"

    let service: Service
    let double: ProviderDouble

    init(_ service: Service, _ behaviors: [Behavior] = [.accept]) throws {
        self.service = service
        let script = Script(behaviors)
        double = try ProviderDouble { request in Self.answer(request, service: service, behavior: script.next) }
    }

    /// `HERALD_EMAIL_URL` / `HERALD_SMS_URL` for this double.
    var url: String {
        "\(service.rawValue)://\(Self.keyID):\(Self.secret)@default?region=\(Self.region)&endpoint=\(double.endpoint)"
    }

    static func answer(_ request: HTTPRequest, service: Service, behavior next: () -> Behavior) -> ProviderDouble.Reply {
        if let refusal = checkSignature(request, service: service) ?? checkFields(request, service: service) { return .respond(refusal) }
        switch next() {
        case .accept:
            return .respond(accepted(service))
        case .throttle:
            return .respond(service == .ses ? sesError(429, "TooManyRequestsException", "Too many requests") : snsError(400, "Throttling", "Rate exceeded"))
        case .unavailable:
            return .respond(service == .ses ? HTTPResponse(status: 503) : snsError(500, "InternalError", "Internal error", type: "Receiver"))
        case .refuseRecipient:
            return .respond(
                service == .ses
                    ? sesError(400, "MessageRejected", "Message rejected: content refused")
                    : snsError(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: \(request.form["PhoneNumber"] ?? "") is not valid to publish to"))
        case .hang(let seconds):
            return .after(seconds: seconds, accepted(service))
        }
    }

    /// What AWS checks of the request before it acts: nil when it passes.
    static func checkFields(_ request: HTTPRequest, service: Service) -> HTTPResponse? {
        switch service {
        case .ses:
            guard request.method == "POST", request.path == "/v2/email/outbound-emails" else { return sesError(404, "NotFoundException", "no such path") }
            guard request.header("content-type") == "application/json", let json = request.json else {
                return sesError(400, "BadRequestException", "expected JSON")
            }
            guard json["FromEmailAddress"]?.stringValue?.contains("@") == true,
                case .array(let to)? = json.value(atPath: "Destination.ToAddresses"), to.count == 1,
                let data = json.value(atPath: "Content.Raw.Data")?.stringValue, let mime = Base64.decode(data), !mime.isEmpty
            else { return sesError(400, "BadRequestException", "FromEmailAddress, one ToAddresses entry and Content.Raw.Data are required") }
        case .sns:
            guard request.method == "POST", request.path == "/" else { return snsError(404, "NotFound", "no such path") }
            guard request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else {
                return snsError(400, "InvalidParameter", "expected a form")
            }
            let form = request.form
            guard form["Action"] == "Publish", form["Version"] == "2010-03-31" else { return snsError(400, "InvalidAction", "not Publish") }
            guard let phone = form["PhoneNumber"], phone.first == "+", phone.dropFirst().allSatisfy(\.isNumber), (3...16).contains(phone.count)
            else { return snsError(400, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted") }
            guard form["Message"]?.isEmpty == false else { return snsError(400, "InvalidParameter", "Empty message") }
        }
        return nil
    }

    static func accepted(_ service: Service) -> HTTPResponse {
        let id = UUID().uuidString.lowercased()
        switch service {
        case .ses:
            return .json(200, #"{"MessageId":"0102\#(id)-000000"}"#)
        case .sns:
            return xml(
                200, #"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>\#(id)</MessageId>"#
                    + "</PublishResult><ResponseMetadata><RequestId>\(UUID().uuidString)</RequestId></ResponseMetadata></PublishResponse>")
        }
    }

    /// The request's SigV4 signature, recomputed over what arrived; an AWS refusal if it is
    /// missing or does not verify.
    static func checkSignature(_ request: HTTPRequest, service: Service) -> HTTPResponse? {
        let refuse: (String, String) -> HTTPResponse = { code, message in
            service == .ses ? sesError(403, code, message) : snsError(403, code, message)
        }
        guard let authorization = request.header("authorization"), authorization.hasPrefix("AWS4-HMAC-SHA256 "),
            let date = request.header("x-amz-date"), let milliseconds = parseAmzDate(date)
        else { return refuse("MissingAuthenticationToken", "Missing Authentication Token") }
        let parts = Dictionary(
            authorization.dropFirst(17).split(separator: ",").compactMap { part -> (String, String)? in
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
        guard let credential = parts["Credential"], let signedHeaders = parts["SignedHeaders"] else {
            return refuse("IncompleteSignatureException", "Authorization header requires Credential and SignedHeaders")
        }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, scope[0] == keyID else { return refuse("UnrecognizedClientException", "The security token included in the request is invalid.") }
        guard scope[1] == String(date.prefix(8)), scope[2] == region, scope[3] == service.rawValue, scope[4] == "aws4_request" else {
            return refuse("InvalidSignatureException", "Credential should be scoped to a valid region and service")
        }
        let names = signedHeaders.split(separator: ";").map(String.init)
        guard names.contains("host"), names.contains("x-amz-date") else { return refuse("InvalidSignatureException", "host and x-amz-date must be signed") }
        let headers = names.filter { $0 != "x-amz-date" }.map { ($0, request.header($0) ?? "") }
        let expected = SigV4.sign(
            method: request.method, host: request.header("host") ?? "", path: request.path, query: "", headers: headers, body: request.body,
            credentials: AWSCredentials(accessKeyID: keyID, secretAccessKey: secret), region: region, service: service.rawValue,
            at: milliseconds, primitives: OpenSSLAuthenticator())
        guard expected.last?.value == authorization else {
            return refuse(service == .ses ? "InvalidSignatureException" : "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
        }
        return nil
    }

    static func parseAmzDate(_ text: String) -> Int64? {
        let digits = Array(text)
        guard digits.count == 16, digits[8] == "T", digits[15] == "Z" else { return nil }
        func number(_ range: Range<Int>) -> Int64? { Int64(String(digits[range])) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        return UTCTime.milliseconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    static func sesError(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .json(status, #"{"message":"\#(message)"}"#, headers: ["x-amzn-ErrorType": "\(code):http://internal.amazon.com/coral/com.amazon.coral.service/"])
    }

    static func snsError(_ status: Int, _ code: String, _ message: String, type: String = "Sender") -> HTTPResponse {
        xml(
            status, #"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>\#(type)</Type><Code>\#(code)</Code>"#
                + "<Message>\(message)</Message></Error><RequestId>\(UUID().uuidString)</RequestId></ErrorResponse>")
    }

    static func xml(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/xml"], body: Array(body.utf8))
    }
}
