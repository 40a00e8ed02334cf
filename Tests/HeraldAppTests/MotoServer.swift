import Foundation
import HeraldCore
import HeraldCrypto
import HeraldCurl
import Testing

/// moto, the AWS fake (`moto[server]` from PyPI; `scripts/install-deps.sh --test` installs it
/// for the `python3` on PATH), as a real HTTP server on 127.0.0.1 with SigV4 checking on.
///
/// moto lets the first `INITIAL_NO_AUTH_ACTION_COUNT` AWS actions through unchecked and
/// authenticates every later one: it looks the access key up among its IAM users' keys,
/// recomputes the signature with botocore from the request it received (see
/// `moto/iam/access_control.py`) and checks the action against the user's policies. The
/// launcher spends exactly that budget on IAM (a user, its access key, a policy allowing
/// `ses:*`, `sns:*` and `sts:AssumeRole`, and a role it may assume), so everything after it,
/// including the rest of the setup, must be signed: the sender identity is created with
/// Herald's own signer, and the launcher checks that a wrong secret is refused before it
/// hands the server out.
///
/// One server per suite, through the trait; tests read it with ``require()``:
///
///     @Suite(MotoServer.Scope()) struct MyTests {
///         @Test func sends() throws {
///             let moto = try MotoServer.require()
///             let response = try moto.send(.json(service: "ses", path: "/v2/email/outbound-emails", body: json))
///         }
///     }
///
/// Quirks of moto 5.2.1 to know when writing adapters against it (all checked in
/// `SigV4MotoTests`): it recomputes a form body's signature over the fields re-encoded by
/// Python's `urlencode` (space as `+`, so sign bodies encoded like ``formBody(_:)``); it
/// decodes the path before recomputing (so `%40` in a path fails, where AWS wants `%2540`
/// signed); it cannot check a request without a body (a correctly signed GET fails); it never
/// checks the clock; auth errors are XML whatever the service's protocol.
final class MotoServer: Sendable {
    /// What went wrong starting or preparing moto; the message says what to do.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A request before signing. `service` is the signing name (`ses`, `sns`, `iam`, `sts`),
    /// which is also how moto routes it.
    struct Request: Sendable {
        var service: String
        var method = "POST"
        var path = "/"
        var query = ""
        var headers: [SigV4.Header] = []
        var body: [UInt8] = []

        static func json(service: String, method: String = "POST", path: String, body: String = "") -> Request {
            Request(
                service: service, method: method, path: path,
                headers: body.isEmpty ? [] : [("Content-Type", "application/json")], body: Array(body.utf8))
        }

        /// An AWS Query API call (IAM, STS, SNS): a form body in the given order.
        static func form(service: String, _ fields: KeyValuePairs<String, String>) -> Request {
            Request(
                service: service, headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                body: formBody(fields))
        }
    }

    static let region = "us-east-1"
    /// The address verified in SES at start: send from it, or from a name and it.
    static let sender = "sender@example.com"
    static let userName = "herald-test"
    static let roleName = "herald-test-role"
    /// moto's default account, where the user and role live.
    static let accountID = "123456789012"
    /// The actions moto lets through before it checks signatures: the IAM setup in `init`.
    static let uncheckedActions = 5

    /// The suite's server while its tests run (set by ``Scope``).
    @TaskLocal static var current: MotoServer?

    let port: Int
    /// The IAM user's long-term key; allowed `ses:*`, `sns:*` and `sts:AssumeRole`.
    let credentials: AWSCredentials
    private let child: Child

    /// `127.0.0.1:PORT`: the `Host` header every request carries and is signed with.
    var host: String { "127.0.0.1:\(port)" }

    /// Starts moto, creates the IAM user, key, policy and role, verifies ``sender`` in SES v2
    /// (signed) and checks that moto refuses a wrong signature. Throws ``Failure`` if any of it
    /// does not happen.
    init() throws {
        guard let script = Bundle.module.url(forResource: "Fixtures/moto_server", withExtension: "py") else {
            throw Failure("Fixtures/moto_server.py is missing from the test bundle")
        }
        // The `python3` on PATH: the one scripts/install-deps.sh --test gave moto.
        let child = try Child(
            ["python3", script.path],
            environment: ["INITIAL_NO_AUTH_ACTION_COUNT": String(Self.uncheckedActions), "PYTHONUNBUFFERED": "1"],
            executable: "/usr/bin/env")
        guard child.waitFor(timeout: 30, { $0.stdout.contains("PORT ") || !$0.process.isRunning }),
            let line = child.stdout.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }),
            let port = Int(line.dropFirst(5))
        else {
            child.process.terminate()
            throw Failure(
                "moto did not start; `scripts/install-deps.sh --test` installs it (python3 -m pip install "
                    + "'moto[server]==5.2.1'). Its output: \(child.stderr.suffix(1500))")
        }
        let host = "127.0.0.1:\(port)"
        do {
            credentials = try Self.prepare(host: host)
        } catch {
            child.process.terminate()
            throw error
        }
        self.child = child
        self.port = port
    }

    deinit { stop() }

    func stop() {
        guard child.process.isRunning else { return }
        child.process.terminate()
        if child.wait(timeout: 5) == nil {
            kill(child.process.processIdentifier, SIGKILL)
            _ = child.wait(timeout: 5)
        }
    }

    /// The suite's server, or a failure saying how to get one.
    static func require() throws -> MotoServer {
        guard let current else { throw Failure("no moto server: add MotoServer.Scope() to the suite's traits") }
        return current
    }

    /// Starts one server around a whole suite and stops it afterwards.
    struct Scope: SuiteTrait, TestScoping {
        func provideScope(
            for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
        ) async throws {
            let server = try MotoServer()
            defer { server.stop() }
            try await MotoServer.$current.withValue(server) { try await function() }
        }
    }

    // MARK: - Requests

    /// Signs `request` with Herald's signer at `milliseconds` (default now) with `credentials`
    /// (default the IAM user's), lets `tamper` change headers or body after signing, and sends it.
    func send(
        _ request: Request, credentials: AWSCredentials? = nil, at milliseconds: Int64 = MotoServer.now(),
        tamper: (inout [SigV4.Header], inout [UInt8]) -> Void = { _, _ in }
    ) throws -> ClientResponse {
        try Self.send(request, host: host, credentials: credentials ?? self.credentials, at: milliseconds, tamper: tamper)
    }

    /// The headers `send` puts on the wire for `request`: its own, `Host`, and the signer's.
    static func signedHeaders(
        _ request: Request, host: String, credentials: AWSCredentials, at milliseconds: Int64
    ) -> [SigV4.Header] {
        let headers = request.headers + [("Host", host)]
        return headers
            + SigV4.sign(
                method: request.method, host: host, path: request.path, query: request.query, headers: headers,
                body: request.body, credentials: credentials, region: region, service: request.service,
                at: milliseconds, primitives: OpenSSLAuthenticator())
    }

    private static func send(
        _ request: Request, host: String, credentials: AWSCredentials, at milliseconds: Int64,
        tamper: (inout [SigV4.Header], inout [UInt8]) -> Void = { _, _ in }
    ) throws -> ClientResponse {
        var headers = signedHeaders(request, host: host, credentials: credentials, at: milliseconds)
        var body = request.body
        tamper(&headers, &body)
        let url = "http://\(host)\(request.path)" + (request.query.isEmpty ? "" : "?\(request.query)")
        return try HTTPClient().send(
            method: request.method, url: url,
            headers: Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }), body: body)
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: - Setup

    /// Spends the unchecked budget on IAM, then does the rest signed by the new user.
    private static func prepare(host: String) throws -> AWSCredentials {
        // Not checked (moto's budget), but routed by the scope in the Authorization header.
        let bootstrap = AWSCredentials(accessKeyID: "bootstrap", secretAccessKey: "not-checked")
        func iam(_ fields: KeyValuePairs<String, String>, _ what: String) throws -> String {
            var request = Request.form(service: "iam", fields)
            request.body += Array("&Version=2010-05-08".utf8)
            let response = try send(request, host: host, credentials: bootstrap, at: now())
            let text = String(decoding: response.body, as: UTF8.self)
            guard response.status == 200 else { throw Failure("moto refused \(what): \(response.status) \(text.prefix(500))") }
            return text
        }
        func policy(_ statement: String) -> String { #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",\#(statement)}]}"# }
        let user = "arn:aws:iam::\(accountID):user/\(userName)"
        _ = try iam(["Action": "CreateUser", "UserName": userName], "CreateUser")
        let key = try iam(["Action": "CreateAccessKey", "UserName": userName], "CreateAccessKey")
        let userPolicy = policy(#""Action":["ses:*","sns:*","sts:AssumeRole"],"Resource":"*""#)
        _ = try iam(
            ["Action": "PutUserPolicy", "UserName": userName, "PolicyName": "send", "PolicyDocument": userPolicy],
            "PutUserPolicy")
        let trust = policy(#""Principal":{"AWS":"\#(user)"},"Action":"sts:AssumeRole""#)
        _ = try iam(["Action": "CreateRole", "RoleName": roleName, "AssumeRolePolicyDocument": trust], "CreateRole")
        let rolePolicy = policy(#""Action":["ses:*","sns:*"],"Resource":"*""#)
        _ = try iam(
            ["Action": "PutRolePolicy", "RoleName": roleName, "PolicyName": "send", "PolicyDocument": rolePolicy],
            "PutRolePolicy")
        guard let id = xmlValue("AccessKeyId", in: key), let secret = xmlValue("SecretAccessKey", in: key) else {
            throw Failure("moto's CreateAccessKey answer has no AccessKeyId or SecretAccessKey")
        }
        let credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret)

        // From here on moto checks every signature.
        let identity = try send(
            .json(service: "ses", path: "/v2/email/identities", body: #"{"EmailIdentity":"\#(sender)"}"#), host: host,
            credentials: credentials, at: now())
        guard identity.status == 200 else {
            throw Failure("moto refused CreateEmailIdentity signed by Herald: \(identity.status) \(text(identity).prefix(500))")
        }
        // A request with a body: moto cannot check one without (see SigV4MotoTests).
        var wrong = credentials
        wrong.secretAccessKey = String(secret.reversed())
        let refused = try send(
            .json(service: "ses", path: "/v2/email/identities", body: #"{"EmailIdentity":"refused@example.com"}"#),
            host: host, credentials: wrong, at: now())
        guard refused.status == 403 else {
            throw Failure("moto is not checking signatures (a wrong secret got \(refused.status)); check uncheckedActions")
        }
        return credentials
    }

    /// Temporary credentials for ``roleName`` from STS `AssumeRole`, signed by the user: an
    /// `ASIA…` key with a session token, which moto checks along with the signature.
    func assumeRole() throws -> AWSCredentials {
        let response = try send(
            .form(
                service: "sts",
                [
                    "Action": "AssumeRole", "Version": "2011-06-15", "RoleSessionName": "herald",
                    "RoleArn": "arn:aws:iam::\(Self.accountID):role/\(Self.roleName)",
                ]))
        let text = Self.text(response)
        guard response.status == 200 else { throw Failure("moto refused AssumeRole: \(response.status) \(text.prefix(500))") }
        guard let id = Self.xmlValue("AccessKeyId", in: text), let secret = Self.xmlValue("SecretAccessKey", in: text),
            let token = Self.xmlValue("SessionToken", in: text)
        else { throw Failure("moto's AssumeRole answer has no AccessKeyId, SecretAccessKey or SessionToken") }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    // MARK: - Encoding and reading answers

    /// `application/x-www-form-urlencoded` exactly as botocore (and Python's `urlencode`, which
    /// moto re-encodes with) writes it: `A-Z a-z 0-9 - _ . ~` kept, space as `+`, every other
    /// byte `%XX`, fields in the given order.
    static func formBody(_ fields: KeyValuePairs<String, String>) -> [UInt8] {
        func encode(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                    UInt8(ascii: "~"):
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                case UInt8(ascii: " "):
                    out += "+"
                default:
                    out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
                }
            }
            return out
        }
        return Array(fields.map { "\(encode($0.key))=\(encode($0.value))" }.joined(separator: "&").utf8)
    }

    static func text(_ response: ClientResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    /// The text of the first `<tag>…</tag>` in an XML answer (no entities decoded).
    static func xmlValue(_ tag: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(tag)>"), let end = text.range(of: "</\(tag)>", range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
