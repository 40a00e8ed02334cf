import Foundation
import HeraldCore

extension DeliveryEngine {
    /// The dispatcher: claims ahead (up to four messages per worker waiting), so that
    /// workers never wait for a claim, and sleeps until notified or the next message is due.
    func dispatch() {
        defer { threadEnded() }
        while true {
            shared.lock()
            let action = shared.machine.nextDispatch()
            switch action {
            case .exit:
                shared.unlock()
                return
            case .waitForCapacity:
                shared.wait(.dispatcher)  // a worker finishing wakes us
                shared.unlock()
                continue
            case .waitForWork:
                shared.unlock()
                let wait = nextWakeUp()
                shared.lock()
                let deadline = DispatchMonitor.Deadline(secondsFromNow: Double(wait) / 1000)
                while !shared.machine.hasNews && shared.wait(.dispatcher, until: deadline) {}
                shared.machine.notify()  // announced, or something fell due: look
                shared.unlock()
                continue
            case .claim(let capacity):
                shared.unlock()
                claim(capacity)
            }
        }
    }

    private func claim(_ capacity: Int) {
        let now = time.milliseconds()
        let claimed: [ClaimedMessage]
        do {
            claimed = try queue.claim(
                upTo: capacity, owner: owner, now: now, leaseUntil: now + settings.leaseMilliseconds, maxAge: settings.policy.maxAge(slug:))
        } catch {
            shared.withLock { $0.claimFailed() }
            logger.error("claiming messages failed", ["error": "\(error)"])
            shared.lock()
            _ = shared.wait(.dispatcher, until: DispatchMonitor.Deadline(secondsFromNow: 1))
            shared.unlock()
            return
        }
        giveBack(accept(claimed, requested: capacity))
    }

    /// Gives back what a claim returned after `stop()`, then ends that claim (see
    /// ``DispatchStateMachine/ClaimOutcome/release``).
    private func giveBack(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        release(ids, why: "claimed while stopping")
        shared.withLock { $0.leasesGivenBack() }
    }

    /// Hands what a claim returned to the workers; returns the leases to give back (claimed
    /// while stopping).
    private func accept(_ claimed: [ClaimedMessage], requested: Int) -> [Int64] {
        let outcome = shared.withLock { $0.claimed(claimed, requested: requested) }
        for id in outcome.alreadyHeld {
            logger.warning("claimed a message this process already holds; not sending it twice", ["message.id": String(id)])
        }
        return outcome.release
    }

    /// What the store's writer claimed for this engine in the transaction that stored new
    /// messages (``ClaimAlong``); on the store's thread, which must not wait for a write.
    func claimedAlong(_ result: Result<[ClaimedMessage], StoreError>, requested: Int) {
        switch result {
        case .success(let claimed):
            // Claimed after stop(): given back off the store's thread (a release is a write).
            let release = accept(claimed, requested: requested)
            if !release.isEmpty { Thread { self.giveBack(release) }.start() }
        case .failure:
            // The transaction failed (its writer logged why): nothing was stored nor claimed.
            shared.withLock { $0.claimFailed() }
        }
    }

    /// The claim along with new messages, for the store (see ``ClaimAlong``).
    var claimAlong: ClaimAlong {
        ClaimAlong(
            owner: owner, leaseMilliseconds: settings.leaseMilliseconds, now: { [time] in time.milliseconds() },
            maxAge: settings.policy.maxAge(slug:), reserve: { [shared] in shared.withLock { $0.reserveClaim() } },
            finish: { [weak self] result, requested in self?.claimedAlong(result, requested: requested) })
    }

    /// Milliseconds until the next message falls due (at most one second).
    private func nextWakeUp() -> Int64 {
        let next = try? queue.nextDueAt()
        guard let due = next ?? nil else { return 1_000 }
        return min(max(due - time.milliseconds(), 0), 1_000)
    }
}
