import Foundation
import HeraldCore

extension DeliveryEngine {
    /// A worker: takes the next claimed message, sends it, submits its record.
    func work() {
        defer { threadEnded() }
        var senders: [Channel: any MessageSender] = [:]
        while true {
            shared.condition.lock()
            var action = shared.machine.nextJob()
            while action == .wait {
                shared.condition.wait()
                action = shared.machine.nextJob()
            }
            shared.condition.unlock()
            guard case .run(let message) = action else { return }
            let (report, metadata, kind) = deliver(message, senders: &senders)
            shared.withLock { $0.jobFinished() }
            record(message, report, kind: kind, metadata: metadata)
        }
    }

    /// Composes, builds and sends one message; returns what to record.
    private func deliver(_ message: ClaimedMessage, senders: inout [Channel: any MessageSender]) -> (AttemptReport, Logger.Metadata, String) {
        let started = time.milliseconds()
        var machine = DeliveryStateMachine(status: .queued, attempts: message.attempts, expiresAt: message.expiresAt, policy: settings.policy)
        var metadata: Logger.Metadata = ["message.id": String(message.id), "message.channel": message.channel.rawValue]
        if let slug = message.slug { metadata["message.slug"] = slug }
        if case .markExpired(let reason) = machine.claim(now: started) {
            return (AttemptReport.expiredBeforeSending(attempts: message.attempts, at: started, reason: reason), metadata, "-")
        }
        let number = machine.attempts
        var template: String?
        var provider = "-"
        var kind = "-"
        let outcome: DeliveryOutcome
        do {
            let composed: ComposedMessage
            let event: JSONValue
            do {
                (composed, event) = try templates.composer().compose(channel: message.channel, payload: message.payload)
            } catch {
                throw AssemblyError(error.code == "invalid_event" ? .internalError : .noContent, error.description)
            }
            template = composed.sourceDescription
            let outgoing = try OutgoingAssembler.assemble(
                message, event: event, composed: composed, settings: settings.email, now: started, boundary: Self.boundary())
            let sender = try self.sender(for: message.channel, in: &senders)
            provider = sender.name
            kind = sender.kind
            let context = SendContext(
                messageID: message.id, webhookID: message.webhookID, clerkID: message.clerkID, slug: message.slug, attempt: number,
                now: started, templateData: event["data"]?["data"])
            outcome = sender.send(outgoing, context: context)
        } catch let error as AssemblyError {
            outcome = .failed(Failure(error.code, scope: .recipient, detail: error.detail))
        } catch {
            outcome = .failed(Failure(.internalError, scope: .recipient))
        }
        let finished = time.milliseconds()
        let action = machine.attemptFinished(outcome, now: finished, random: Double.random(in: 0..<1))
        let report = AttemptReport.finished(
            number: number, provider: provider, template: template, startedAt: started, finishedAt: finished, outcome: outcome, action: action)
        metadata["delivery.attempt"] = String(number)
        metadata["delivery.provider"] = provider
        metadata["delivery.ms"] = String(finished - started)
        if let failure = outcome.failure {
            metadata["delivery.scope"] = failure.scope.rawValue
            if failure.ambiguous { metadata["delivery.ambiguous"] = "true" }
            if failure.code == .providerAuthFailed || failure.code == .authFailed {
                logger.error("the provider refused Herald's credentials: fix the key in the provider URL", metadata)
            }
        }
        return (report, metadata, kind)
    }

    private func sender(for channel: Channel, in senders: inout [Channel: any MessageSender]) throws(AssemblyError) -> any MessageSender {
        if let existing = senders[channel] { return existing }
        do {
            let sender = try makeSender(channel)
            senders[channel] = sender
            return sender
        } catch {
            throw AssemblyError(.misconfigured, "\(error)")
        }
    }

    /// Records the attempt in the next group commit without making the worker wait for it:
    /// until it is committed the message stays `sending` under this process's lease, so a
    /// crash in between means it is sent once more, never lost. A record that fails gives
    /// the lease back, so that the message is tried again at once rather than never.
    private func record(_ message: ClaimedMessage, _ report: AttemptReport, kind: String, metadata: Logger.Metadata) {
        var withStatus = metadata
        withStatus["message.status"] = report.result.status.rawValue
        if let error = report.result.lastError { withStatus["reason"] = error }
        let metadata = withStatus
        let logger = self.logger
        let metrics = self.metrics
        let shared = self.shared
        queue.finish(messageID: message.id, owner: owner, attempt: report.attempt, result: report.result, at: time.milliseconds()) {
            [weak self] outcome in
            let attempt = report.attempt
            let result = report.result
            var committed = true
            switch outcome {
            case .success(true):
                metrics.countAttempt(
                    channel: message.channel, provider: attempt.transport, transport: kind, outcome: attempt.outcome, status: result.status,
                    secondsSinceArrival: result.status == .sent ? Double(attempt.startedAt + attempt.durationMs - message.createdAt) / 1000 : nil)
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

    static func boundary() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return "herald_" + String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
