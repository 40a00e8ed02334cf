import Foundation
import HeraldCore

extension DeliveryEngine {
    /// A worker: takes the next claimed message, delivers it (one round through its route),
    /// submits the round's record.
    func work() {
        defer { threadEnded() }
        var senders: [String: any MessageSender] = [:]
        while true {
            shared.lock()
            var action = shared.machine.nextJob()
            while action == .wait {
                shared.wait(.workers)
                action = shared.machine.nextJob()
            }
            shared.unlock()
            guard case .run(let message) = action else { return }
            let round = deliver(message, senders: &senders)
            shared.withLock { $0.jobFinished() }
            record(message, round)
        }
    }

    /// What one round came to, for the record and the log.
    struct Round {
        var report: AttemptReport
        var metadata: Logger.Metadata
        /// The kind of each attempt's sender (`http`, `smtp`, `outbox`), for metrics.
        var kinds: [String]
    }

    /// Composes and builds the message once, then tries the providers of its route in order:
    /// a failure another provider can mend moves on at once (skipping open circuits, waiting
    /// for a rate limit's token); the round ends at a delivery, at a failure that is the
    /// recipient's, or when the route is exhausted (retried with backoff). Expiry wins.
    private func deliver(_ message: ClaimedMessage, senders: inout [String: any MessageSender]) -> Round {
        let started = time.milliseconds()
        let route = directory.route(for: message)
        var machine = DeliveryStateMachine(
            status: .queued, attempts: message.attempts, expiresAt: message.expiresAt, policy: settings.policy, route: route)
        var metadata: Logger.Metadata = ["message.id": String(message.id), "message.channel": message.channel.rawValue]
        if let slug = message.slug { metadata["message.slug"] = slug }
        var action = machine.claim(now: started)
        if case .markExpired(let reason) = action {
            return Round(report: .expiredBeforeSending(attempts: message.attempts, at: started, reason: reason), metadata: metadata, kinds: ["-"])
        }
        let outgoing: OutgoingMessage
        let template: String?
        let context: SendContext
        do {
            (outgoing, template, context) = try prepare(message, at: started, attempt: machine.attempts)
        } catch {
            let outcome = DeliveryOutcome.failed(Failure(error.code, scope: .recipient, detail: error.detail))
            let end = machine.attemptFinished(outcome, now: time.milliseconds(), random: 0)
            return Round(
                report: .finished(number: machine.attempts, provider: "-", template: nil, startedAt: started, finishedAt: time.milliseconds(),
                                  outcome: outcome, action: end),
                metadata: metadata, kinds: ["-"])
        }
        var attempts: [AttemptRecord] = []
        var kinds: [String] = []
        var lastOutcome: DeliveryOutcome?
        var lastProvider = "-"
        while case .send(let provider) = action {
            let now = time.milliseconds()
            if health.permit(provider, now: now) == .refused {
                action = machine.providerUnavailable(now: now, random: Double.random(in: 0..<1), retryAfter: health.nextProbe(among: route, now: now))
                continue
            }
            guard limiter.acquire(provider, time: time, deadline: message.expiresAt) else {
                let outcome = DeliveryOutcome.failed(Failure(.rateLimited, scope: .transient, detail: "no token of the rate limit before the message expires"))
                action = machine.attemptFinished(outcome, now: time.milliseconds(), random: Double.random(in: 0..<1))
                lastOutcome = outcome
                continue
            }
            let number = machine.attempts
            let tryStarted = time.milliseconds()
            var outcome: DeliveryOutcome
            var kind = "-"
            var name = provider
            do {
                let sender = try self.sender(named: provider, channel: message.channel, in: &senders)
                kind = sender.kind
                name = sender.name
                var tryContext = context
                tryContext.attempt = number
                tryContext.now = tryStarted
                outcome = sender.send(outgoing, context: tryContext)
            } catch {
                outcome = .failed(Failure(.misconfigured, scope: .provider, detail: "\(error)"))
            }
            let finished = time.milliseconds()
            health.record(provider, outcome, now: finished)
            action = machine.attemptFinished(outcome, now: finished, random: Double.random(in: 0..<1))
            attempts.append(AttemptReport.record(
                number: number, provider: name, template: template, startedAt: tryStarted, finishedAt: finished, outcome: outcome, action: action))
            kinds.append(kind)
            lastOutcome = outcome
            lastProvider = name
            annotate(&metadata, outcome)
        }
        let finished = time.milliseconds()
        if attempts.isEmpty {
            // Every provider's circuit was open: nothing was sent; the round still ends.
            attempts.append(AttemptRecord(
                number: machine.attempts, transport: "-", startedAt: started, durationMs: finished - started, outcome: "retryable",
                error: machine.lastFailure?.reason ?? "every provider of the route is unavailable (circuit open)", template: template))
            kinds.append("-")
        }
        metadata["delivery.attempt"] = String(machine.attempts)
        metadata["delivery.provider"] = lastProvider
        metadata["delivery.route"] = route.joined(separator: ",")
        metadata["delivery.ms"] = String(finished - started)
        if attempts.count > 1 { metadata["delivery.failovers"] = String(attempts.count - 1) }
        let result = AttemptReport.result(action, lastOutcome: lastOutcome, provider: lastProvider, finishedAt: finished)
        return Round(report: AttemptReport(attempts: attempts, result: result), metadata: metadata, kinds: kinds)
    }

    /// The message as every provider of the round sends it.
    private func prepare(_ message: ClaimedMessage, at started: Int64, attempt: Int) throws(AssemblyError) -> (OutgoingMessage, String?, SendContext) {
        let composed: ComposedMessage
        let event: JSONValue
        do {
            (composed, event) = try templates.composer().compose(channel: message.channel, payload: message.payload)
        } catch {
            throw AssemblyError(error.code == "invalid_event" ? .internalError : .noContent, error.description)
        }
        let outgoing = try OutgoingAssembler.assemble(
            message, event: event, composed: composed, settings: settings.email, now: started, boundary: Self.boundary())
        let context = SendContext(
            messageID: message.id, webhookID: message.webhookID, clerkID: message.clerkID, slug: message.slug, attempt: attempt,
            now: started, templateData: event["data"]?["data"])
        return (outgoing, composed.sourceDescription, context)
    }

    private func annotate(_ metadata: inout Logger.Metadata, _ outcome: DeliveryOutcome) {
        guard let failure = outcome.failure else { return }
        metadata["delivery.scope"] = failure.scope.rawValue
        if failure.ambiguous { metadata["delivery.ambiguous"] = "true" }
        if failure.code == .providerAuthFailed || failure.code == .authFailed {
            logger.error("the provider refused Herald's credentials: fix the key in the provider URL", metadata)
        }
    }

    private func sender(named name: String, channel: Channel, in senders: inout [String: any MessageSender]) throws -> any MessageSender {
        let key = channel.rawValue + ":" + name
        if let existing = senders[key] { return existing }
        let sender = try directory.makeSender(named: name, channel: channel)
        senders[key] = sender
        return sender
    }

    /// Records the round in the next group commit without making the worker wait for it:
    /// until it is committed the message stays `sending` under this process's lease, so a
    /// crash in between means it is sent once more, never lost. A record that fails gives
    /// the lease back, so that the message is tried again at once rather than never.
    private func record(_ message: ClaimedMessage, _ round: Round) {
        let report = round.report
        var withStatus = round.metadata
        withStatus["message.status"] = report.result.status.rawValue
        if let error = report.result.lastError { withStatus["reason"] = error }
        let metadata = withStatus
        let logger = self.logger
        let metrics = self.metrics
        let shared = self.shared
        queue.finish(messageID: message.id, owner: owner, attempts: report.attempts, result: report.result, at: time.milliseconds()) {
            [weak self] outcome in
            let result = report.result
            var committed = true
            switch outcome {
            case .success(true):
                for (attempt, kind) in zip(report.attempts.dropLast(), round.kinds) {
                    metrics.countTry(channel: message.channel, provider: attempt.transport, transport: kind, outcome: attempt.outcome)
                }
                if let last = report.attempts.last {
                    metrics.countAttempt(
                        channel: message.channel, provider: last.transport, transport: round.kinds.last ?? "-", outcome: last.outcome,
                        status: result.status,
                        secondsSinceArrival: result.status == .sent ? Double(last.startedAt + last.durationMs - message.createdAt) / 1000 : nil)
                }
                switch result.status {
                case .sent: logger.info("message sent", metadata)
                case .retrying: logger.warning("delivery failed, will retry", metadata)
                default: logger.error("message not delivered", metadata)
                }
            case .success(false):
                logger.warning("lease lost; another process owns the message now", metadata)
            case .failure(let error):
                committed = false
                var metadata = metadata
                metadata["error"] = "\(error)"
                logger.error("recording the attempt failed; the lease is given back and the message tried again", metadata)
            }
            let release = shared.withLock { $0.recordFinished(message.id, committed: committed, retryDue: result.status == .retrying) }
            // On the store's thread: hand the release to another thread, never wait here.
            if !release.isEmpty, let self {
                Thread { self.release(release, why: "attempt not recorded") }.start()
            }
        }
    }

    /// `herald_` and 24 random base-36 digits (124 bits), from two draws of the system's
    /// generator (each draw is a system call: not one per digit).
    static func boundary() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = Array("herald_".utf8)
        bytes.reserveCapacity(bytes.count + 24)
        for _ in 0..<2 {
            var bits = generator.next()  // 12 base-36 digits: 36^12 < 2^64
            for _ in 0..<12 {
                bytes.append(boundaryDigits[Int(bits % 36)])
                bits /= 36
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let boundaryDigits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
}
