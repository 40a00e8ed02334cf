import Foundation
import HeraldCore
import HeraldTestSupport

/// Twilio's Messages API on 127.0.0.1, checking what Twilio checks (Basic auth of the
/// account in the path, a form body, To in E.164, From or MessagingServiceSid, Body) and
/// answering as Twilio does (../shared/reference/providers.md section 9). After the checks,
/// each request takes the next scripted behaviour (the last one repeats).
final class TwilioDouble: Sendable {
    enum Behavior: Sendable {
        case accept
        case error(code: Int, status: Int)
        case rateLimited(retryAfter: String?)
        case unavailable
        case hang(seconds: Double)
    }

    static let accountSID = "AC" + String(repeating: "0f", count: 16)
    static let authToken = "twilio-test-token-4f2a"

    let double: ProviderDouble
    private let script: Script<Behavior>

    init(_ behaviors: [Behavior] = [.accept]) throws {
        let script = Script(behaviors)
        self.script = script
        double = try ProviderDouble { request in Self.answer(request, behavior: script.next) }
    }

    /// From now on, these behaviours (the last repeats).
    func switchTo(_ behaviors: [Behavior]) {
        script.replace(with: behaviors)
    }

    /// `HERALD_SMS_URL` for this double.
    var url: String {
        "twilio://\(Self.accountSID):\(Self.authToken)@default?from=%2B15550001111&endpoint=\(double.endpoint)"
    }

    /// The messages Twilio accepted (their form fields).
    var accepted: [[String: String]] {
        double.requests.filter { $0.method == "POST" }.map(\.form)
    }

    static func answer(_ request: HTTPRequest, behavior next: () -> Behavior) -> ProviderDouble.Reply {
        if request.method == "GET", request.path == "/2010-04-01/Accounts/\(accountSID).json" {
            guard let credentials = request.basicCredentials, credentials == (accountSID, authToken) else { return error(20003, 401) }
            return .respond(.json(200, #"{"sid":"\#(accountSID)","status":"active"}"#))
        }
        guard request.method == "POST" else { return error(20004, 405) }
        guard request.path.hasPrefix("/2010-04-01/Accounts/"), request.path.hasSuffix("/Messages.json") else { return error(20404, 404) }
        let account = request.path.dropFirst("/2010-04-01/Accounts/".count).dropLast("/Messages.json".count)
        guard let credentials = request.basicCredentials, credentials.user == String(account), credentials.user == accountSID,
            credentials.password == authToken
        else { return error(20003, 401) }
        guard request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true else { return error(21620, 415) }
        let form = request.form
        guard let to = form["To"], Recipient.isValidPhone(to) else { return error(21211, 400) }
        guard form["From"] != nil || form["MessagingServiceSid"] != nil else { return error(21603, 400) }
        guard let body = form["Body"], !body.isEmpty else { return error(21602, 400) }
        guard body.count <= 1600 else { return error(21617, 400) }
        let behavior = next()
        switch behavior {
        case .accept:
            let sid = "SM" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let answer = JSONValue.object([
                "sid": .string(sid), "status": .string("queued"), "to": .string(to), "from": form["From"].map(JSONValue.string) ?? .null,
                "body": .string(body), "num_segments": .string("1"), "error_code": .null, "error_message": .null,
                "account_sid": .string(accountSID),
            ])
            return .respond(.json(201, answer))
        case .error(let code, let status):
            return error(code, status)
        case .rateLimited(let retryAfter):
            var response = HTTPResponse.json(429, errorBody(20429, 429))
            if let retryAfter { response.headers["Retry-After"] = retryAfter }
            return .respond(response)
        case .unavailable:
            return .respond(.json(503, errorBody(20503, 503)))
        case .hang(let seconds):
            return .after(seconds: seconds, .json(201, #"{"sid":"SMlate","status":"queued"}"#))
        }
    }

    static func errorBody(_ code: Int, _ status: Int) -> String {
        #"{"code":\#(code),"message":"Error \#(code)","more_info":"https://www.twilio.com/docs/errors/\#(code)","status":\#(status)}"#
    }

    static func error(_ code: Int, _ status: Int) -> ProviderDouble.Reply {
        .respond(.json(status, errorBody(code, status)))
    }
}
