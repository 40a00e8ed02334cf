/// How a delivery round becomes what the store records: one attempt row per provider
/// tried, and the message's new state, from the outcomes and the delivery state machine's
/// actions.
public struct AttemptReport: Sendable, Equatable {
    public var attempts: [AttemptRecord]
    public var result: AttemptResult

    public init(attempts: [AttemptRecord], result: AttemptResult) {
        self.attempts = attempts
        self.result = result
    }

    /// The round's last attempt.
    public var attempt: AttemptRecord? { attempts.last }

    /// A message too old to send when it was claimed: nothing was sent.
    public static func expiredBeforeSending(attempts: Int, at: Int64, reason: String) -> AttemptReport {
        AttemptReport(
            attempts: [AttemptRecord(number: attempts, transport: "-", startedAt: at, durationMs: 0, outcome: "expired")],
            result: AttemptResult(status: .expired, lastError: "expired", detail: reason))
    }

    /// The row of one try. `action` is what the state machine made of its outcome: another
    /// provider next (`failed_over`), or the end of the round.
    public static func record(
        number: Int, provider: String, template: String?, startedAt: Int64, finishedAt: Int64, outcome: DeliveryOutcome,
        action: DeliveryStateMachine.Action
    ) -> AttemptRecord {
        var attempt = AttemptRecord(
            number: number, transport: provider, startedAt: startedAt, durationMs: finishedAt - startedAt, outcome: "",
            code: outcome.code, template: template, providerCode: outcome.failure?.providerCode)
        switch outcome {
        case .delivered(let providerID, _):
            attempt.outcome = "delivered"
            attempt.providerID = providerID
        case .failed(let failure):
            let detail = failure.detail.map { ": \($0)" } ?? ""
            switch action {
            case .send: attempt.outcome = "failed_over"
            case .markFailed: attempt.outcome = failure.scope == .recipient ? "permanent" : "retryable"
            default: attempt.outcome = "retryable"
            }
            if case .markFailed(let reason) = action {
                attempt.error = reason + detail
            } else {
                attempt.error = failure.reason + detail
            }
        }
        return attempt
    }

    /// The message's new state at the end of a round.
    public static func result(_ action: DeliveryStateMachine.Action, lastOutcome: DeliveryOutcome?, provider: String, finishedAt: Int64) -> AttemptResult {
        switch action {
        case .markSent(let providerID):
            return AttemptResult(status: .sent, providerID: providerID, detail: "sent via \(provider)" + (providerID.map { " (\($0))" } ?? ""))
        case .scheduleRetry(let at, let reason):
            return AttemptResult(
                status: .retrying, nextAttemptAt: at, lastError: reason, detail: "\(reason); next attempt in \((at - finishedAt + 999) / 1000) s")
        case .markExpired(let reason):
            return AttemptResult(status: .expired, lastError: reason, detail: reason)
        case .markFailed(let reason):
            let detail = lastOutcome?.failure?.detail.map { "\(reason): \($0)" } ?? reason
            return AttemptResult(status: .failed, lastError: reason, detail: detail)
        default:
            return AttemptResult(status: .failed, lastError: "internal_error", detail: "unexpected state")
        }
    }

    /// A round of one try (the whole report).
    public static func finished(
        number: Int, provider: String, template: String?, startedAt: Int64, finishedAt: Int64, outcome: DeliveryOutcome,
        action: DeliveryStateMachine.Action
    ) -> AttemptReport {
        AttemptReport(
            attempts: [record(number: number, provider: provider, template: template, startedAt: startedAt, finishedAt: finishedAt, outcome: outcome, action: action)],
            result: result(action, lastOutcome: outcome, provider: provider, finishedAt: finishedAt))
    }
}
