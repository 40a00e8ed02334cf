/// How a finished attempt becomes what the store records: the attempt row and the
/// message's new state, from the outcome and the delivery state machine's action.
public struct AttemptReport: Sendable, Equatable {
    public var attempt: AttemptRecord
    public var result: AttemptResult

    public init(attempt: AttemptRecord, result: AttemptResult) {
        self.attempt = attempt
        self.result = result
    }

    /// A message too old to send when it was claimed: nothing was sent.
    public static func expiredBeforeSending(attempts: Int, at: Int64, reason: String) -> AttemptReport {
        AttemptReport(
            attempt: AttemptRecord(number: attempts, transport: "-", startedAt: at, durationMs: 0, outcome: "expired"),
            result: AttemptResult(status: .expired, lastError: "expired", detail: reason))
    }

    /// `number`: this attempt's number; `provider`: who was asked; `template`: where the
    /// content came from.
    public static func finished(
        number: Int, provider: String, template: String?, startedAt: Int64, finishedAt: Int64, outcome: DeliveryOutcome,
        action: DeliveryStateMachine.Action
    ) -> AttemptReport {
        var attempt = AttemptRecord(
            number: number, transport: provider, startedAt: startedAt, durationMs: finishedAt - startedAt, outcome: "",
            code: outcome.code, template: template, providerCode: outcome.failure?.providerCode)
        let detail = outcome.failure?.detail.map { ": \($0)" } ?? ""
        let result: AttemptResult
        switch (outcome, action) {
        case (.delivered(let providerID, _), _):
            attempt.outcome = "delivered"
            attempt.providerID = providerID
            result = AttemptResult(status: .sent, providerID: providerID, detail: "sent via \(provider)" + (providerID.map { " (\($0))" } ?? ""))
        case (_, .scheduleRetry(let at, let reason)):
            attempt.outcome = "retryable"
            attempt.error = reason + detail
            result = AttemptResult(
                status: .retrying, nextAttemptAt: at, lastError: reason,
                detail: "\(reason); next attempt in \((at - finishedAt + 999) / 1000) s")
        case (_, .markExpired(let reason)):
            attempt.outcome = "retryable"
            attempt.error = reason + detail
            result = AttemptResult(status: .expired, lastError: reason, detail: reason)
        case (.failed(let failure), .markFailed(let reason)):
            attempt.outcome = failure.scope == .recipient ? "permanent" : "retryable"
            attempt.error = reason + detail
            result = AttemptResult(status: .failed, lastError: reason, detail: attempt.error)
        default:
            attempt.outcome = "permanent"
            attempt.error = "internal_error"
            result = AttemptResult(status: .failed, lastError: "internal_error", detail: "unexpected state")
        }
        return AttemptReport(attempt: attempt, result: result)
    }
}
