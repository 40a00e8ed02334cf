import Foundation
public import HeraldCore

/// Delivers queued messages: a dispatcher thread claims due messages (with a lease) and
/// hands them to a bounded pool of worker threads; each worker composes, builds and sends
/// through its own senders (which may keep a connection open), records the attempt and
/// moves the message on per the delivery state machine; a lease keeper renews exactly the
/// leases this process holds and keeps its instance alive in the store. New messages are
/// picked up at once (intake calls ``notify()``); retries when they fall due. The shared
/// state is one ``DispatchStateMachine`` value in a ``DispatchMonitor``; nothing here runs on
/// Swift's cooperative pool.
public final class DeliveryEngine: Sendable {
    public struct Settings: Sendable {
        public var workers: Int = 4
        public var leaseMilliseconds: Int64 = 30_000
        public var policy = RetryPolicy()
        public var email = EmailSettings()
        /// Whether a thread renews the leases three times per lease on the wall clock (the
        /// default). Off, nothing renews them but ``renewLeases()``: for tests that drive
        /// time themselves (``TimeSource``), with no sleep between renewals.
        public var renewsLeasesOnItsOwn = true
        public init() {}
    }


    let queue: any DeliveryQueue
    let templates: TemplateStore
    let settings: Settings
    let directory: any SenderDirectory
    /// The circuit breakers of the providers, shared by the workers.
    public let health: ProviderHealth
    let limiter: RateLimiter
    let logger: Logger
    let metrics: Metrics
    let time: any TimeSource
    let shared: DispatchMonitor
    let keeper: LeaseKeeper
    /// This process's instance: its id owns the leases it takes.
    public let instance: InstanceRecord
    public var owner: String { instance.id }

    public init(
        queue: any DeliveryQueue, templates: TemplateStore, settings: Settings, logger: Logger, metrics: Metrics = Metrics(),
        time: any TimeSource = SystemTime(), identity: InstanceIdentity = .current, breakers: CircuitBreaker.Settings = CircuitBreaker.Settings(),
        rates: [String: RateLimit] = [:], directory: any SenderDirectory
    ) {
        self.directory = directory
        health = ProviderHealth(settings: breakers, logger: logger, metrics: metrics)
        limiter = RateLimiter(limits: rates)
        self.queue = queue
        self.templates = templates
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.time = time
        let now = time.milliseconds()
        instance = identity.record(at: now)
        shared = DispatchMonitor(workers: settings.workers)
        keeper = LeaseKeeper(
            queue: queue, instanceID: instance.id, leaseMilliseconds: settings.leaseMilliseconds,
            liveness: identity.liveness(staleAfter: max(settings.leaseMilliseconds, 3_000)), time: time, logger: logger)
    }

    /// One sender factory for every message, whatever its channel (tests, simple embeddings).
    public convenience init(
        queue: any DeliveryQueue, templates: TemplateStore, settings: Settings, logger: Logger, metrics: Metrics = Metrics(),
        time: any TimeSource = SystemTime(), identity: InstanceIdentity = .current,
        makeSender: @escaping @Sendable (Channel) throws -> any MessageSender
    ) {
        self.init(
            queue: queue, templates: templates, settings: settings, logger: logger, metrics: metrics, time: time, identity: identity,
            directory: SingleSenderDirectory(makeSender))
    }

    /// Registers this instance, takes over what dead instances left in `sending`, then
    /// starts the lease keeper, the dispatcher and the workers.
    public func start() throws {
        do {
            try queue.register(instance)
        } catch {
            throw CommandError("cannot register this instance in the store: \(error)")
        }
        let released = keeper.takeOverFromDeadInstances()
        if released > 0 { logger.notice("re-claiming messages left sending by a stopped process", ["messages": String(released)]) }
        shared.lock()
        shared.running = settings.workers + 1
        shared.unlock()
        if settings.renewsLeasesOnItsOwn {
            keeper.start(held: { [shared] in shared.withLock { $0.held } }, onTakeOver: { [weak self] in self?.notify() })
        }
        // Work another instance queued (a store shared between instances says so).
        queue.onWorkQueued(spareWorkers: { [shared] in shared.withLock { $0.idleWorkers } }) { [weak self] in self?.notify() }
        // New messages this process stores are claimed for it in the commit that stores them.
        queue.claimAlongWithNewMessages(claimAlong)
        // Names the kernel shows too (top -H, /proc), at most 15 characters.
        startThread(named: "herald-dispatch") { [self] in dispatch() }
        for index in 0..<settings.workers {
            startThread(named: "herald-send-\(index)") { [self] in work() }
        }
    }

    /// One round of the lease keeper now, at the time source's time: renews exactly the
    /// leases this instance holds, beats its heartbeat, takes over what dead instances left.
    /// Blocks until the store has answered.
    public func renewLeases() {
        keeper.round(held: shared.withLock { $0.held }, onTakeOver: { [weak self] in self?.notify() })
    }

    /// New work may be due.
    public func notify() {
        shared.withLock { $0.notify() }
    }

    /// Intake stored message `id` (news unless it was claimed with its commit).
    public func notify(newMessage id: Int64) {
        shared.withLock { $0.notify(newMessage: id) }
    }

    /// Stops claiming, gives back claimed messages that no worker started, lets sends in
    /// flight finish and their records commit (up to `drainSeconds`), gives back anything
    /// a claim in flight returned, then stops the lease keeper and deregisters.
    public func stop(drainSeconds: Double = 30) {
        let unstarted = shared.withLock { $0.stop() }
        release(unstarted, why: "not started before stop")
        shared.lock()
        let deadline = DispatchMonitor.Deadline(secondsFromNow: drainSeconds)
        while (shared.running > 0 || !shared.machine.isIdle) && shared.wait(.settled, until: deadline) {}
        let drained = shared.running == 0 && shared.machine.isIdle
        let stillHeld = shared.machine.held
        shared.unlock()
        keeper.stop()
        if drained && stillHeld.isEmpty {
            do {
                try queue.deregister(instance.id)
            } catch {
                logger.warning("cannot deregister this instance; others take over once its heartbeat is stale", ["error": "\(error)"])
            }
        } else {
            logger.warning("stopped with sends still in flight; their leases run out and another process takes them", [
                "messages": String(stillHeld.count),
            ])
        }
    }

    /// Gives leases back so that the messages are due again at once.
    func release(_ ids: [Int64], why: String) {
        guard !ids.isEmpty else { return }
        do {
            try queue.release(ids, owner: owner, at: time.milliseconds())
        } catch {
            logger.error("cannot give leases back; the messages are retried when their leases run out", [
                "error": "\(error)", "messages": String(ids.count), "reason": why,
            ])
        }
    }

    func threadEnded() {
        shared.lock()
        shared.running -= 1
        shared.unlock()
        shared.wake(.settled, all: true)
    }
}
