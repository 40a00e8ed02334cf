import Foundation
import HeraldCore
import HeraldTestSupport

/// MessageBird's legacy REST API on 127.0.0.1, checking what MessageBird checks
/// (`Authorization: AccessKey ...`, a JSON body, an `originator` of a number or at most 11
/// characters, `recipients` as numbers without `+`, a `body`) and answering as MessageBird
/// does (../shared/reference/providers.md section 11a): `201` with the message's `id`;
/// errors as `errors[]` with a code and the parameter at fault.
final class MessageBirdDouble: SMSProviderDouble {
    struct Refusal: Sendable {
        var code: Int
        var status: Int
        var parameter: String?
        var description: String
    }

    typealias Behavior = SMSBehavior<Refusal>

    static let accessKey = "mb-test-access-key-3e8a"
    static var secret: String { accessKey }

    let double: ProviderDouble

    init(_ behaviors: [Behavior] = [.accept]) throws {
        let script = Script(behaviors)
        double = try ProviderDouble { request in Self.answer(request, behavior: script.next) }
    }

    var url: String { "messagebird://\(Self.accessKey)@default?from=Acme&endpoint=\(double.endpoint)" }

    /// The JSON bodies of every message MessageBird took.
    var accepted: [JSONValue] { double.requests.filter { $0.method == "POST" }.compactMap(\.json) }

    static let notAllowed = Refusal(code: 2, status: 401, parameter: "access_key", description: "Request not allowed (incorrect access_key)")
    static let noRecipients = Refusal(code: 9, status: 422, parameter: "recipients", description: "no (correct) recipients found")

    static func answer(_ request: HTTPRequest, behavior next: () -> Behavior) -> ProviderDouble.Reply {
        guard request.header("authorization") == "AccessKey \(accessKey)" else { return error(notAllowed) }
        if request.method == "GET", request.path == "/balance" {
            return .respond(.json(200, #"{"payment":"prepaid","type":"credits","amount":9.2}"#))
        }
        guard request.method == "POST", request.path == "/messages" else {
            return error(Refusal(code: 98, status: 404, parameter: nil, description: "API not found"))
        }
        guard request.header("content-type")?.hasPrefix("application/json") == true, let json = request.json else {
            return error(Refusal(code: 21, status: 400, parameter: nil, description: "Bad request"))
        }
        guard let originator = json["originator"]?.stringValue, !originator.isEmpty else {
            return error(Refusal(code: 9, status: 422, parameter: "originator", description: "originator is required"))
        }
        guard originator.allSatisfy(\.isNumber) ? originator.count <= 17 : originator.count <= 11 else {
            return error(Refusal(code: 10, status: 422, parameter: "originator", description: "originator is invalid"))
        }
        guard case .array(let recipients)? = json["recipients"], !recipients.isEmpty,
            recipients.allSatisfy({ ($0.stringValue ?? "").allSatisfy { $0.isASCII && $0.isNumber } && $0.stringValue?.isEmpty == false })
        else { return error(noRecipients) }
        guard let body = json["body"]?.stringValue, !body.isEmpty else {
            return error(Refusal(code: 9, status: 422, parameter: "body", description: "body is required"))
        }
        let message = created(originator: originator, recipients: recipients, body: body)
        switch next() {
        case .accept:
            return .respond(.json(201, message))
        case .refuse(let refusal):
            return error(refusal)
        case .rateLimited(let retryAfter):
            return .respond(HTTPResponse(status: 429, headers: retryAfter.map { ["Retry-After": $0] } ?? [:]))
        case .unavailable:
            return error(Refusal(code: 99, status: 500, parameter: nil, description: "Internal error"))
        case .hang(let seconds):
            return .after(seconds: seconds, .json(201, message))
        }
    }

    static func created(originator: String, recipients: [JSONValue], body: String) -> JSONValue {
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let items = recipients.map { JSONValue.object(["recipient": .int(Int64($0.stringValue ?? "") ?? 0), "status": .string("sent")]) }
        return .object([
            "id": .string(id), "href": .string("https://rest.messagebird.com/messages/\(id)"), "direction": .string("mt"),
            "type": .string("sms"), "originator": .string(originator), "body": .string(body),
            "recipients": .object(["totalCount": .int(Int64(items.count)), "totalSentCount": .int(Int64(items.count)), "items": .array(items)]),
        ])
    }

    static func error(_ refusal: Refusal) -> ProviderDouble.Reply {
        let error = JSONValue.object([
            "code": .int(Int64(refusal.code)), "description": .string(refusal.description),
            "parameter": refusal.parameter.map(JSONValue.string) ?? .null,
        ])
        return .respond(.json(refusal.status, .object(["errors": .array([error])])))
    }
}
