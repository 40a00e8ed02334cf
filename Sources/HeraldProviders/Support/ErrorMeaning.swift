import Foundation
public import HeraldCore

/// What one of a provider's own error codes means to Herald: the failure code and whose
/// problem it is. Adapters keep a table of these, keyed by the provider's code.
public struct ErrorMeaning: Sendable, Equatable {
    public var code: FailureCode
    public var scope: Failure.Scope
    /// The provider may have acted on the request anyway (its internal error).
    public var ambiguous: Bool

    public init(_ code: FailureCode, _ scope: Failure.Scope, ambiguous: Bool = false) {
        self.code = code
        self.scope = scope
        self.ambiguous = ambiguous
    }

    /// The failure for this answer, with `Retry-After` honoured when the provider sent it.
    public func failure(status: Int?, providerCode: String?, headers: [HTTPField] = [], now: Int64, detail: String?) -> Failure {
        Failure(
            code, scope: scope, status: status, providerCode: providerCode,
            retryAfter: RetryAfter.milliseconds(headers[field: "Retry-After"], now: now), ambiguous: ambiguous, detail: detail)
    }
}

extension ErrorMeaning {
    /// `meaning`'s failure, or the generic meaning of the answer's status when the
    /// provider's code (if any) is not one Herald knows.
    public static func failure(_ meaning: ErrorMeaning?, answer: HTTPAnswer, providerCode: String?, now: Int64, detail: String?) -> Failure {
        if let meaning {
            return meaning.failure(status: answer.status, providerCode: providerCode, headers: answer.headers, now: now, detail: detail)
        }
        return ProviderClassification.failure(status: answer.status, headers: answer.headers, now: now, providerCode: providerCode, detail: detail)
    }
}

extension Exchange {
    /// What the exchange means: `classify` reads an answer; a transport failure follows
    /// the shared rules.
    public func outcome(_ classify: (HTTPAnswer) -> DeliveryOutcome) -> DeliveryOutcome {
        switch self {
        case .answered(let answer): classify(answer)
        case .failed(let failure): .failed(ProviderClassification.failure(failure))
        }
    }
}

extension JSONValue {
    /// A provider's error code or status, whether it came as a number or a string.
    public var codeText: String? {
        switch self {
        case .int(let number): String(number)
        case .string(let text): text.isEmpty ? nil : text
        default: nil
        }
    }

    /// An amount of money given as a number or as a decimal string (`"300.00"`).
    public var decimalValue: Double? {
        switch self {
        case .int(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    /// The items of an array (empty for anything else).
    public var items: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}

/// The request shape the JSON APIs share.
enum JSONRequest {
    /// `POST url` with a JSON body and the given credential.
    static func post(_ url: String, credential: HTTPField, body: [String: JSONValue]) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: url,
            headers: [credential, HTTPField("Content-Type", "application/json"), HTTPField("Accept", "application/json")],
            body: Array(JSONValue.object(body).serialized().utf8))
    }

    /// `GET url` with the given credential, for a probe.
    static func get(_ url: String, credential: HTTPField) -> OutboundRequest {
        OutboundRequest(method: "GET", url: url, headers: [credential, HTTPField("Accept", "application/json")])
    }
}

/// Money for an operator's eyes: two decimals.
func amount(_ value: Double) -> String {
    String(format: "%.2f", value)
}
