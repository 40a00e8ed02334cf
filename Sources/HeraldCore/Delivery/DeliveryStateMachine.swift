/// The life of one message after intake, as a value: events in, actions out, no I/O.
///
/// ```
/// queued/retrying --claim--> sending --delivered--> sent
///                     |              --failed (transient, provider)--> retrying (or failed: attempts used up,
///                     |                                        or expired: too old to retry)
///                     |              --failed (recipient)--> failed
///                     +--(too old)--> expired
/// ```
/// `cancel` ends `queued`/`retrying`; `retry` puts `failed`/`expired`/`cancelled` back.
public struct DeliveryStateMachine: Sendable, Equatable {
    public private(set) var status: MessageStatus
    public private(set) var attempts: Int
    /// After this time (Unix ms) the message is not sent any more.
    public let expiresAt: Int64
    public let policy: RetryPolicy
    /// The providers of this message's route, in failover order.
    public let route: [String]
    /// Which of them this round is at.
    public private(set) var cursor = 0
    /// The last failure of this round, if any.
    public private(set) var lastFailure: Failure?

    public enum Action: Sendable, Equatable {
        /// Make an attempt now, through this provider of the route.
        case send(provider: String)
        case markSent(providerID: String?)
        case scheduleRetry(at: Int64, reason: String)
        case markFailed(reason: String)
        case markExpired(reason: String)
        case markCancelled
        case requeue
        /// Nothing to do: the event does not apply in this state.
        case ignore
    }

    public init(status: MessageStatus, attempts: Int, expiresAt: Int64, policy: RetryPolicy, route: [String] = ["-"]) {
        self.status = status
        self.attempts = attempts
        self.expiresAt = expiresAt
        self.policy = policy
        self.route = route.isEmpty ? ["-"] : route
    }

    /// A worker claimed the message at `now`.
    public mutating func claim(now: Int64) -> Action {
        switch status {
        case .queued, .retrying, .sending:  // sending: a dead worker's lease ran out
            if now >= expiresAt {
                status = .expired
                return .markExpired(reason: "expired: too old to be useful before it could be sent")
            }
            status = .sending
            attempts += 1
            cursor = 0
            lastFailure = nil
            return .send(provider: route[0])
        case .sent, .failed, .expired, .cancelled, .skipped:
            return .ignore
        }
    }

    /// The attempt finished.
    public mutating func attemptFinished(_ outcome: DeliveryOutcome, now: Int64, random: Double) -> Action {
        guard status == .sending else { return .ignore }
        switch outcome {
        case .delivered(let providerID, _):
            status = .sent
            return .markSent(providerID: providerID)
        case .failed(let failure) where failure.scope == .recipient:
            status = .failed
            return .markFailed(reason: failure.reason)
        case .failed(let failure):
            lastFailure = failure
            // Another provider may mend it: on to the next, in this round, without waiting.
            // Expiry still wins, and the attempts are counted.
            if failure.failsOver, cursor + 1 < route.count, now < expiresAt, attempts < policy.maxAttempts {
                cursor += 1
                attempts += 1
                return .send(provider: route[cursor])
            }
            return endRound(failure, now: now, random: random)
        }
    }

    /// The provider the cursor is at cannot take the message now (its circuit is open):
    /// on to the next without an attempt; when none is left, the round ends and the message
    /// is retried after `retryAfter` (when a circuit may close) or its backoff.
    public mutating func providerUnavailable(now: Int64, random: Double, retryAfter: Int64?) -> Action {
        guard status == .sending else { return .ignore }
        if cursor + 1 < route.count {
            cursor += 1
            return .send(provider: route[cursor])
        }
        let failure = lastFailure
            ?? Failure(.providerUnavailable, scope: .transient, retryAfter: retryAfter, detail: "every provider of the route is unavailable (circuit open)")
        return endRound(failure, now: now, random: random)
    }

    /// Every provider of the round failed (or the failure cannot fail over): retry later,
    /// or give up.
    private mutating func endRound(_ failure: Failure, now: Int64, random: Double) -> Action {
        let reason = failure.reason
        if attempts >= policy.maxAttempts {
            status = .failed
            return .markFailed(reason: "\(reason); gave up after \(attempts) attempts")
        }
        let next = now + policy.delay(afterAttempts: attempts, retryAfter: failure.retryAfter, random: random)
        if next >= expiresAt {
            status = .expired
            return .markExpired(reason: "\(reason); expired before the next attempt")
        }
        status = .retrying
        return .scheduleRetry(at: next, reason: reason)
    }

    /// An operator cancels it.
    public mutating func cancel() -> Action {
        switch status {
        case .queued, .retrying:
            status = .cancelled
            return .markCancelled
        default:
            return .ignore
        }
    }

    /// An operator asks for another try (the store gives it a fresh age window).
    public mutating func retry() -> Action {
        switch status {
        case .failed, .expired, .cancelled:
            status = .queued
            return .requeue
        default:
            return .ignore
        }
    }

}
