import Foundation
public import HeraldCore
public import HeraldSQLite

/// Delivers queued messages: a dispatcher thread claims due messages (with a lease) and
/// hands them to a bounded pool of worker threads; each worker composes, builds and sends
/// through its own transports (which may keep a connection open), records the attempt
/// and moves the message on per the delivery state machine. New messages are picked up at
/// once (intake calls ``notify()``); retries when they fall due. Nothing here runs on
/// Swift's cooperative pool.
public final class DeliveryEngine: Sendable {
    public struct Settings: Sendable {
        public var workers: Int = 4
        public var leaseMilliseconds: Int64 = 30_000
        public var policy = RetryPolicy()
        public var email = EmailSettings()
        public init() {}
    }

    /// Makes one sender for a channel; called once per worker and channel.
    public typealias SenderFactory = @Sendable (Channel) throws -> any MessageSender

    private final class Shared: @unchecked Sendable {
        // Every var is guarded by `condition`.
        let condition = NSCondition()
        var jobs: [ClaimedMessage] = []
        var busy = 0
        var notified = true
        var stopping = false
        var running = 0
        /// Attempt records submitted to the store and not yet committed.
        var recording = 0
        /// Messages this process holds, from their claim until their attempt is recorded:
        /// their leases are renewed, and a claim that returns one again is not sent twice.
        var held = Set<Int64>()
    }

    /// The lease renewer's own condition: it sleeps through the many wake-ups of `Shared`.
    private final class Renewal: @unchecked Sendable {
        // Both vars are guarded by `condition`.
        let condition = NSCondition()
        var running = false
        var stop = false
    }

    private let writer: StoreWriter
    private let templates: TemplateStore
    private let settings: Settings
    private let makeSender: SenderFactory
    private let logger: Logger
    private let shared = Shared()
    private let renewal = Renewal()
    private let metrics: Metrics
    /// `host:pid:start`, the owner of this process's leases.
    public let owner: String

    public init(
        writer: StoreWriter, templates: TemplateStore, settings: Settings, logger: Logger, metrics: Metrics = Metrics(),
        makeSender: @escaping SenderFactory
    ) {
        self.writer = writer
        self.metrics = metrics
        self.templates = templates
        self.settings = settings
        self.logger = logger
        self.makeSender = makeSender
        self.owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(Clock.nowMilliseconds())"
    }

    /// Takes over messages that dead processes of this host left in `sending`, then
    /// starts the dispatcher and the workers.
    public func start() throws {
        let me = owner
        let released = try writer.writeBlocking { store in
            try store.releaseLeases(ownedBy: { Self.isDead($0, me: me) }, now: Clock.nowMilliseconds())
        }
        if released > 0 { logger.notice("re-claiming messages left sending by a stopped process", ["messages": String(released)]) }
        shared.condition.lock()
        shared.running = settings.workers + 1
        shared.condition.unlock()
        renewal.condition.lock()
        renewal.running = true
        renewal.condition.unlock()
        Thread { [self] in
            Thread.current.name = "herald-lease"
            renewLeases()
        }.start()
        // Named from inside the thread, so that the kernel (top -H, /proc) shows the name too.
        Thread { [self] in
            Thread.current.name = "herald-dispatch"
            dispatch()
        }.start()
        for index in 0..<settings.workers {
            Thread { [self] in
                Thread.current.name = "herald-send-\(index)"  // at most 15 characters: Linux keeps no more
                work()
            }.start()
        }
    }

    /// New work may be due.
    public func notify() {
        shared.condition.lock()
        shared.notified = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Stops claiming, lets sends in flight finish (up to `drainSeconds`), and gives back
    /// claimed messages that no worker started.
    public func stop(drainSeconds: Double = 30) {
        shared.condition.lock()
        shared.stopping = true
        let unstarted = shared.jobs
        shared.jobs.removeAll()
        shared.condition.broadcast()
        let deadline = Date().addingTimeInterval(drainSeconds)
        while (shared.running > 0 || shared.recording > 0) && shared.condition.wait(until: deadline) {}
        shared.condition.unlock()
        // Sends in flight are done (or given up on): their leases need no renewing now.
        renewal.condition.lock()
        renewal.stop = true
        renewal.condition.broadcast()
        let renewerDeadline = Date().addingTimeInterval(5)
        while renewal.running && renewal.condition.wait(until: renewerDeadline) {}
        renewal.condition.unlock()
        if !unstarted.isEmpty {
            let ids = unstarted.map(\.id)
            let me = owner
            _ = try? writer.writeBlocking { store in try store.releaseLeases(ids: ids, owner: me) }
        }
    }

    // MARK: Dispatcher

    private func dispatch() {
        defer { finished() }
        while true {
            shared.condition.lock()
            if shared.stopping {
                shared.condition.unlock()
                return
            }
            // Claim ahead: up to four messages per worker waiting, so workers never wait for a claim.
            let capacity = settings.workers * 4 - shared.jobs.count - shared.busy
            if capacity <= 0 {
                shared.condition.wait()  // a worker finishing wakes us
                shared.condition.unlock()
                continue
            }
            if !shared.notified {
                shared.condition.unlock()
                waitForNotification(upTo: nextWakeUp())
                shared.condition.lock()
                shared.notified = true  // announced, or something fell due: look
                shared.condition.unlock()
                continue
            }
            shared.notified = false
            shared.condition.unlock()

            let now = Clock.nowMilliseconds()
            let owner = self.owner
            let lease = settings.leaseMilliseconds
            let policy = settings.policy
            let claimed: [ClaimedMessage]
            do {
                claimed = try writer.writeBlocking { store in
                    try store.claimDue(now: now, owner: owner, leaseUntil: now + lease, limit: capacity, maxAge: policy.maxAge(slug:))
                }
            } catch {
                logger.error("claiming messages failed", ["error": "\(error)"])
                waitForNotification(upTo: 1_000)
                continue
            }
            shared.condition.lock()
            for message in claimed {
                // Claimed again while this process still holds it (its lease ran out in a
                // stall): the first claim will finish it.
                guard shared.held.insert(message.id).inserted else {
                    logger.warning("claimed a message this process already holds; not sending it twice", ["message.id": String(message.id)])
                    continue
                }
                shared.jobs.append(message)
            }
            // A full batch means more may be waiting: look again as soon as there is room.
            if claimed.count == capacity { shared.notified = true }
            shared.condition.broadcast()
            shared.condition.unlock()
        }
    }

    /// Milliseconds until the next message falls due (at most one second).
    private func nextWakeUp() -> Int64 {
        let next = try? writer.writeBlocking { store in try store.nextDueAt() }
        let now = Clock.nowMilliseconds()
        guard let due = next ?? nil else { return 1_000 }
        return min(max(due - now, 0), 1_000)
    }

    private func waitForNotification(upTo milliseconds: Int64) {
        shared.condition.lock()
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while !shared.notified && !shared.stopping && shared.condition.wait(until: deadline) {}
        shared.condition.unlock()
    }

    // MARK: Leases

    /// Renews the leases of the messages this process holds, three times per lease, from
    /// start until `stop()` has drained the workers.
    private func renewLeases() {
        let lease = settings.leaseMilliseconds
        let interval = Double(max(lease / 3, 10)) / 1000
        let owner = self.owner
        while true {
            renewal.condition.lock()
            let deadline = Date().addingTimeInterval(interval)
            while !renewal.stop && renewal.condition.wait(until: deadline) {}
            if renewal.stop {
                renewal.running = false
                renewal.condition.broadcast()
                renewal.condition.unlock()
                return
            }
            renewal.condition.unlock()
            shared.condition.lock()
            let holding = !shared.held.isEmpty
            shared.condition.unlock()
            guard holding else { continue }
            let until = Clock.nowMilliseconds() + lease
            do {
                _ = try writer.writeBlocking { try $0.renewLeases(owner: owner, until: until) }
            } catch {
                logger.error("renewing leases failed; another process may take over messages still being sent", ["error": "\(error)"])
            }
        }
    }

    private func finished() {
        shared.condition.lock()
        shared.running -= 1
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    // MARK: Workers

    private func work() {
        defer { finished() }
        var senders: [Channel: any MessageSender] = [:]
        while true {
            shared.condition.lock()
            while shared.jobs.isEmpty && !shared.stopping { shared.condition.wait() }
            if shared.stopping && shared.jobs.isEmpty {
                shared.condition.unlock()
                return
            }
            let job = shared.jobs.removeFirst()
            shared.busy += 1
            shared.condition.unlock()

            deliver(job, senders: &senders)

            shared.condition.lock()
            shared.busy -= 1
            shared.notified = true
            shared.condition.broadcast()
            shared.condition.unlock()
        }
    }

    private func deliver(_ message: ClaimedMessage, senders: inout [Channel: any MessageSender]) {
        let started = Clock.nowMilliseconds()
        var machine = DeliveryStateMachine(status: .queued, attempts: message.attempts, expiresAt: message.expiresAt, policy: settings.policy)
        var metadata: Logger.Metadata = ["message.id": String(message.id), "message.channel": message.channel.rawValue]
        if let slug = message.slug { metadata["message.slug"] = slug }
        if case .markExpired(let reason) = machine.claim(now: started) {
            record(message, AttemptRecord(number: message.attempts, transport: "-", startedAt: started, durationMs: 0, outcome: "expired"),
                   AttemptResult(status: .expired, lastError: "expired", detail: reason), metadata: metadata)
            return
        }
        let number = machine.attempts
        var template: String?
        var senderName = "-"
        var senderKind = "-"
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
            let sender: any MessageSender
            if let existing = senders[message.channel] {
                sender = existing
            } else {
                do {
                    sender = try makeSender(message.channel)
                } catch {
                    throw AssemblyError(.misconfigured, "\(error)")
                }
                senders[message.channel] = sender
            }
            senderName = sender.name
            senderKind = sender.kind
            let context = SendContext(
                messageID: message.id, webhookID: message.webhookID, clerkID: message.clerkID, slug: message.slug, attempt: number,
                now: started, templateData: event["data"]?["data"])
            outcome = sender.send(outgoing, context: context)
        } catch let error as AssemblyError {
            outcome = .failed(Failure(error.code, scope: .recipient, detail: error.detail))
        } catch {
            outcome = .failed(Failure(.internalError, scope: .recipient))
        }
        let finished = Clock.nowMilliseconds()
        let action = machine.attemptFinished(outcome, now: finished, random: Double.random(in: 0..<1))
        var attempt = AttemptRecord(
            number: number, transport: senderName, startedAt: started, durationMs: finished - started, outcome: "", code: outcome.code,
            template: template, providerCode: outcome.failure?.providerCode)
        let detail = outcome.failure?.detail.map { ": \($0)" } ?? ""
        let result: AttemptResult
        switch (outcome, action) {
        case (.delivered(let providerID, _), _):
            attempt.outcome = "delivered"
            attempt.providerID = providerID
            result = AttemptResult(status: .sent, providerID: providerID, detail: "sent via \(senderName)" + (providerID.map { " (\($0))" } ?? ""))
        case (_, .scheduleRetry(let at, let reason)):
            attempt.outcome = "retryable"
            attempt.error = reason + detail
            result = AttemptResult(status: .retrying, nextAttemptAt: at, lastError: reason, detail: "\(reason); next attempt in \((at - finished + 999) / 1000) s")
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
        metadata["delivery.attempt"] = String(number)
        metadata["delivery.provider"] = senderName
        metadata["delivery.ms"] = String(finished - started)
        if let failure = outcome.failure {
            metadata["delivery.scope"] = failure.scope.rawValue
            if failure.ambiguous { metadata["delivery.ambiguous"] = "true" }
            if failure.code == .providerAuthFailed || failure.code == .authFailed {
                logger.error("the provider refused Herald's credentials: fix the key in the provider URL", metadata)
            }
        }
        record(message, attempt, result, kind: senderKind, metadata: metadata)
    }

    /// Records the attempt in the next group commit without making the worker wait for it:
    /// until it is committed the message stays `sending` under this process's lease, so a
    /// crash in between means it is sent once more, never lost.
    private func record(
        _ message: ClaimedMessage, _ attempt: AttemptRecord, _ result: AttemptResult, kind: String = "-", metadata: Logger.Metadata
    ) {
        let owner = self.owner
        let now = Clock.nowMilliseconds()
        var metadata = metadata
        metadata["message.status"] = result.status.rawValue
        if let error = result.lastError { metadata["reason"] = error }
        let logger = self.logger
        let metrics = self.metrics
        shared.condition.lock()
        shared.recording += 1
        shared.condition.unlock()
        writer.submit({ store in
            try store.finishAttempt(messageID: message.id, owner: owner, attempt: attempt, result: result, now: now)
        }) { [shared, metadata] outcome in
            switch outcome {
            case .success(true):
                metrics.countAttempt(
                    channel: message.channel, provider: attempt.transport, transport: kind, outcome: attempt.outcome, status: result.status,
                    secondsSinceArrival: result.status == .sent
                        ? Double(attempt.startedAt + attempt.durationMs - message.createdAt) / 1000 : nil)
                switch result.status {
                case .sent: logger.info("message sent", metadata)
                case .retrying: logger.warning("delivery failed, will retry", metadata)
                default: logger.error("message not delivered", metadata)
                }
            case .success(false):
                logger.warning("lease lost; another process owns the message now", metadata)
            case .failure(let error):
                var metadata = metadata
                metadata["error"] = "\(error)"
                logger.error("recording the attempt failed; the message will be retried when its lease ends", metadata)
            }
            shared.condition.lock()
            shared.recording -= 1
            shared.held.remove(message.id)
            // A retry may now be due sooner than the dispatcher planned.
            if result.status == .retrying { shared.notified = true }
            shared.condition.broadcast()
            shared.condition.unlock()
        }
    }

    static func boundary() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return "herald_" + String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// Whether the owner of a lease is a process of this host that is gone.
    static func isDead(_ owner: String, me: String) -> Bool {
        let parts = owner.split(separator: ":")
        let mine = me.split(separator: ":")
        guard parts.count == 3, mine.count == 3, parts[0] == mine[0], let pid = Int32(parts[1]) else { return false }
        if owner == me { return false }
        if pid == getpid() { return true }  // an earlier process with our pid
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
