import Foundation
import HeraldCore

/// Keeps this process's claims alive: three times per lease it renews exactly the leases
/// the process holds (never every `sending` row it owns: a message whose record failed
/// must not stay leased for ever), says in the store that the instance is alive, and takes
/// over what dead instances left in `sending`.
final class LeaseKeeper: @unchecked Sendable {
    // `running` and `stopping` are guarded by `condition`.
    private let condition = NSCondition()
    private var running = false
    private var stopping = false

    private let queue: any DeliveryQueue
    private let instanceID: String
    private let leaseMilliseconds: Int64
    private let liveness: InstanceLiveness
    private let time: any TimeSource
    private let logger: Logger

    init(queue: any DeliveryQueue, instanceID: String, leaseMilliseconds: Int64, liveness: InstanceLiveness, time: any TimeSource, logger: Logger) {
        self.queue = queue
        self.instanceID = instanceID
        self.leaseMilliseconds = leaseMilliseconds
        self.liveness = liveness
        self.time = time
        self.logger = logger
    }

    /// `held` reads the ids to renew; `onTakeOver` is told when messages were taken over.
    func start(held: @escaping @Sendable () -> Set<Int64>, onTakeOver: @escaping @Sendable () -> Void) {
        condition.lock()
        running = true
        condition.unlock()
        startThread(named: "herald-lease") { [self] in loop(held: held, onTakeOver: onTakeOver) }
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date().addingTimeInterval(5)
        while running && condition.wait(until: deadline) {}
        condition.unlock()
    }

    /// Releases what registered instances that are provably gone left in `sending`.
    @discardableResult
    func takeOverFromDeadInstances() -> Int {
        do {
            let now = time.milliseconds()
            let dead = try queue.instances().filter { $0.id != instanceID && liveness.isDead($0, now: now) }.map(\.id)
            return try queue.takeOver(from: dead)
        } catch {
            logger.error("cannot look for messages left by stopped processes", ["error": "\(error)"])
            return 0
        }
    }

    private func loop(held: @escaping @Sendable () -> Set<Int64>, onTakeOver: @escaping @Sendable () -> Void) {
        defer {
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        let interval = Double(max(leaseMilliseconds / 3, 10)) / 1000
        while true {
            condition.lock()
            let deadline = Date().addingTimeInterval(interval)
            while !stopping && condition.wait(until: deadline) {}
            let stop = stopping
            condition.unlock()
            if stop { return }
            round(held: held(), onTakeOver: onTakeOver)
        }
    }

    /// One round: renews the leases of `held` from now, beats the heartbeat, takes over what
    /// dead instances left.
    func round(held ids: Set<Int64>, onTakeOver: @Sendable () -> Void) {
        let now = time.milliseconds()
        do {
            try queue.renew(ids, owner: instanceID, until: now + leaseMilliseconds)
            try queue.heartbeat(instanceID, at: now)
        } catch {
            logger.error("renewing leases failed; another process may take over messages still being sent", ["error": "\(error)"])
        }
        if takeOverFromDeadInstances() > 0 { onTakeOver() }
    }
}
