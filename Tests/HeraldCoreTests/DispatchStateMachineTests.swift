import HeraldCore
import Testing

@Suite struct DispatchStateMachineTests {
    static func message(_ id: Int64) -> ClaimedMessage {
        ClaimedMessage(id: id, channel: .email, slug: nil, recipient: "a@example.com", clerkID: nil, attempts: 0, createdAt: 0, expiresAt: 1, payload: [])
    }

    @Test func claimsAheadUpToFourPerWorkerThenWaitsForCapacity() {
        var machine = DispatchStateMachine(workers: 2)
        #expect(machine.nextDispatch() == .claim(8))
        #expect(machine.claimed((1...8).map(Self.message), requested: 8).accepted == Array(1...8))
        #expect(machine.waitingCount == 8)
        #expect(machine.nextDispatch() == .waitForCapacity)  // a full batch: more may wait, but no room
        #expect(machine.nextJob() == .run(Self.message(1)))
        #expect(machine.nextDispatch() == .waitForCapacity)  // 7 waiting + 1 busy
        machine.jobFinished()
        #expect(machine.nextDispatch() == .waitForCapacity)  // room for 1, but a chunk is half the claim-ahead
        for id in 2...4 {
            #expect(machine.nextJob() == .run(Self.message(Int64(id))))
            machine.jobFinished()
        }
        #expect(machine.nextDispatch() == .claim(4))  // half of it free
    }

    /// While every worker still has a message waiting, a claim waits until half the
    /// claim-ahead is free (one transaction for many messages); once fewer are waiting than
    /// there are workers, it claims whatever there is room for.
    @Test func claimsComeInChunksUnlessAWorkerIsAboutToRunDry() {
        var machine = DispatchStateMachine(workers: 4)
        #expect(machine.nextDispatch() == .claim(16))
        _ = machine.claimed((1...16).map(Self.message), requested: 16)
        for id in 1...4 {
            #expect(machine.nextJob() == .run(Self.message(Int64(id))))
        }
        #expect(machine.claimable == 0)  // 12 waiting, 4 busy
        for _ in 1...3 { machine.jobFinished() }
        #expect(machine.claimable == 0)  // room for 3 of 16
        machine.jobFinished()
        #expect(machine.claimable == 0)  // room for 4: less than half
        for id in 5...8 {
            #expect(machine.nextJob() == .run(Self.message(Int64(id))))
            machine.jobFinished()
        }
        #expect(machine.nextDispatch() == .claim(8))  // 8 waiting, 8 free
        _ = machine.claimed([], requested: 8)  // nothing more due
        for id in 9...13 {
            #expect(machine.nextJob() == .run(Self.message(Int64(id))))
        }
        #expect(machine.waitingCount == 3)  // fewer than the workers
        #expect(machine.claimable == 8)  // 16 - 3 waiting - 5 busy: claimed at once
        machine.notify()
        #expect(machine.nextDispatch() == .claim(8))
    }

    /// The store's claim along with new messages is reserved as the dispatcher's own: never
    /// both in flight, the same chunking, and nothing while stopping.
    @Test func aClaimAlongIsReservedAsTheDispatchersOwn() {
        var machine = DispatchStateMachine(workers: 2)
        #expect(machine.nextDispatch() == .claim(8))
        _ = machine.claimed([], requested: 8)  // nothing due: no news now
        #expect(!machine.hasNews)
        #expect(machine.reserveClaim() == 8)
        #expect(machine.claiming)
        #expect(machine.nextDispatch() == .waitForCapacity)  // one claim at a time
        #expect(machine.reserveClaim() == 0)
        #expect(machine.claimed([Self.message(1), Self.message(2)], requested: 8).accepted == [1, 2])
        #expect(machine.nextJob() == .run(Self.message(1)))
        // Intake's word of a message the claim took is no news; of another one, it is.
        machine.notify(newMessage: 2)
        machine.notify(newMessage: 1)
        #expect(!machine.hasNews)
        #expect(machine.reserveClaim() == 6)  // 8 - 1 waiting - 1 busy, as a claim would take
        machine.claimFailed()
        #expect(!machine.claiming)
        machine.notify(newMessage: 3)
        #expect(machine.hasNews)
        #expect(machine.nextDispatch() == .claim(6))
        _ = machine.claimed([], requested: 6)
        _ = machine.stop()
        #expect(machine.reserveClaim() == 0)
    }

    @Test func idleWorkersAreThoseWithNothingClaimedForThem() {
        var machine = DispatchStateMachine(workers: 3)
        #expect(machine.idleWorkers == 3)
        _ = machine.nextDispatch()
        _ = machine.claimed([Self.message(1), Self.message(2)], requested: 12)
        #expect(machine.idleWorkers == 1)  // two claimed, waiting for a worker
        #expect(machine.nextJob() == .run(Self.message(1)))
        #expect(machine.idleWorkers == 1)  // one busy, one waiting
        machine.jobFinished()
        #expect(machine.idleWorkers == 2)
        _ = machine.claimed((3...9).map(Self.message), requested: 12)
        #expect(machine.idleWorkers == 0)  // more waiting than workers
        _ = machine.stop()
        #expect(machine.idleWorkers == 0)
    }

    @Test func aShortClaimWaitsForNewsAndANotificationWakesIt() {
        var machine = DispatchStateMachine(workers: 1)
        #expect(machine.nextDispatch() == .claim(4))
        _ = machine.claimed([Self.message(1)], requested: 4)
        #expect(!machine.hasNews)
        #expect(machine.nextDispatch() == .waitForWork)
        machine.notify()
        #expect(machine.hasNews)
        #expect(machine.nextDispatch() == .claim(3))
    }

    @Test func heldIsExactlyWhatIsClaimedUntilItsRecordCommits() {
        var machine = DispatchStateMachine(workers: 1)
        _ = machine.nextDispatch()
        _ = machine.claimed([Self.message(1), Self.message(2)], requested: 4)
        #expect(machine.held == [1, 2])
        guard case .run(let first) = machine.nextJob() else { Issue.record("no job"); return }
        machine.jobFinished()
        #expect(machine.recording == 1)
        #expect(machine.held == [1, 2])  // 1 until its record commits
        #expect(machine.recordFinished(first.id, committed: true, retryDue: false).isEmpty)
        #expect(machine.held == [2])
        #expect(machine.isIdle)
    }

    @Test func aFailedRecordGivesTheLeaseBackAndLooksAgain() {
        var machine = DispatchStateMachine(workers: 1)
        _ = machine.nextDispatch()
        _ = machine.claimed([Self.message(7)], requested: 4)
        _ = machine.nextJob()
        machine.jobFinished()
        #expect(machine.nextDispatch() == .waitForWork)  // a short claim, then a finished job: nothing announced
        #expect(machine.recordFinished(7, committed: false, retryDue: false) == [7])
        #expect(machine.held.isEmpty)  // no longer renewed
        #expect(machine.hasNews)
    }

    @Test func aMessageClaimedAgainWhileHeldIsNotQueuedTwice() {
        var machine = DispatchStateMachine(workers: 1)
        _ = machine.nextDispatch()
        _ = machine.claimed([Self.message(1)], requested: 4)
        _ = machine.nextDispatch()
        let again = machine.claimed([Self.message(1), Self.message(2)], requested: 3)
        #expect(again.accepted == [2])
        #expect(again.alreadyHeld == [1])
        #expect(machine.waitingCount == 2)
    }

    @Test func stopGivesBackWhatNoWorkerStartedAndWhatAClaimInFlightReturns() {
        var machine = DispatchStateMachine(workers: 2)
        _ = machine.nextDispatch()
        _ = machine.claimed([Self.message(1), Self.message(2), Self.message(3)], requested: 8)
        _ = machine.nextJob()  // 1 is being sent
        machine.notify()
        #expect(machine.nextDispatch() == .claim(5))  // a claim goes out (8 - 2 waiting - 1 busy)...
        #expect(machine.stop() == [2, 3])  // ...and the engine stops meanwhile
        #expect(machine.held == [1])
        #expect(!machine.isIdle)  // a send and a claim in flight
        let late = machine.claimed([Self.message(4), Self.message(5)], requested: 5)
        #expect(late.release == [4, 5])
        #expect(late.accepted.isEmpty)
        #expect(!machine.held.contains(4))
        #expect(machine.nextJob() == .exit)
        #expect(machine.nextDispatch() == .exit)
        machine.jobFinished()
        #expect(machine.recordFinished(1, committed: true, retryDue: false).isEmpty)
        #expect(!machine.isIdle)  // the late claim lasts until its leases are given back
        machine.leasesGivenBack()
        #expect(machine.isIdle)
        #expect(machine.held.isEmpty)
    }

    @Test func aFailedClaimEndsTheClaim() {
        var machine = DispatchStateMachine(workers: 1)
        _ = machine.nextDispatch()
        #expect(!machine.isIdle)
        machine.claimFailed()
        #expect(machine.isIdle)
    }

    @Test func workersTakeMessagesInClaimOrderAcrossManyBatches() {
        var machine = DispatchStateMachine(workers: 1, claimAhead: 100)
        var taken: [Int64] = []
        var next: Int64 = 1
        for _ in 0..<5 {
            machine.notify()  // more arrived
            guard case .claim(let capacity) = machine.nextDispatch() else { Issue.record("no claim"); return }
            let batch = (0..<min(capacity, 30)).map { _ in defer { next += 1 }; return Self.message(next) }
            _ = machine.claimed(batch, requested: capacity)
            for _ in 0..<25 {
                if case .run(let message) = machine.nextJob() {
                    taken.append(message.id)
                    machine.jobFinished()
                    _ = machine.recordFinished(message.id, committed: true, retryDue: false)
                }
            }
        }
        #expect(taken == Array(1...125))
    }
}

@Suite struct InstanceLivenessTests {
    static let now: Int64 = 1_000_000

    static func instance(host: String = "box", pid: Int32 = 1, namespace: String = "pid:[1]", start: Int64 = 500, heartbeat: Int64 = now - 1_000)
        -> InstanceRecord
    {
        InstanceRecord(id: "i", host: host, pid: pid, pidNamespace: namespace, processStart: start, startedAt: 0, heartbeatAt: heartbeat)
    }

    /// This machine: host "box", PID namespace pid:[1]; PID 1 runs since tick 500, PID 2 since 900.
    static let here = InstanceLiveness(host: "box", pidNamespace: "pid:[1]", staleAfter: 30_000) { pid in
        [1: 500, 2: 900][pid]
    }

    @Test(arguments: [
        // A fresh heartbeat from another container: same host name, same PID, another namespace: alive.
        (instance(namespace: "pid:[2]"), false),
        // Another host entirely, fresh: alive.
        (instance(host: "other"), false),
        // Its heartbeat is stale: gone, wherever it runs.
        (instance(host: "other", heartbeat: now - 31_000), true),
        (instance(namespace: "pid:[2]", heartbeat: now - 31_000), true),
        // Here, and its PID runs the same process: alive.
        (instance(), false),
        // Here, and its PID is not running: dead at once, no need to wait for the heartbeat.
        (instance(pid: 3), true),
        // Here, and its PID now runs another process (recycled): dead.
        (instance(pid: 2, start: 400), true),
    ] as [(InstanceRecord, Bool)])
    func liveness(_ instance: InstanceRecord, _ dead: Bool) {
        #expect(Self.here.isDead(instance, now: Self.now) == dead)
    }

    @Test func withoutANamespaceOnlyTheHeartbeatCounts() {
        let blind = InstanceLiveness(host: "box", pidNamespace: "", staleAfter: 30_000) { _ in nil }
        #expect(!blind.isDead(Self.instance(namespace: ""), now: Self.now))
        #expect(blind.isDead(Self.instance(namespace: "", heartbeat: 0), now: Self.now))
    }
}
