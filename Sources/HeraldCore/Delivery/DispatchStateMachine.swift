/// The delivery engine's shared state as a value: what is claimed and waiting for a
/// worker, what this process holds until its attempt is recorded, how many workers are
/// busy, whether a claim or records are in flight, and whether the engine is stopping.
/// Threads call its methods under one lock and carry out the actions it returns outside
/// it (claim, release, run, wait). No I/O, no threads: table-tested as it is.
public struct DispatchStateMachine: Sendable {
    public enum DispatcherAction: Sendable, Equatable {
        /// Claim up to this many messages from the store.
        case claim(Int)
        /// Every worker has enough waiting: sleep until one finishes.
        case waitForCapacity
        /// Nothing announced: sleep until notified or something falls due.
        case waitForWork
        case exit
    }

    public enum WorkerAction: Sendable, Equatable {
        case run(ClaimedMessage)
        case wait
        case exit
    }

    public let workers: Int
    /// Messages claimed ahead per worker, so that no worker waits for a claim.
    public let claimAhead: Int
    public private(set) var stopping = false
    /// Claimed, not yet started: handed out in claim order.
    private var waiting: [ClaimedMessage] = []
    private var head = 0
    /// Every message this process holds, from its claim until its attempt is recorded (or
    /// it is given back): exactly the leases to renew.
    public private(set) var held: Set<Int64> = []
    public private(set) var busy = 0
    public private(set) var claiming = false
    public private(set) var recording = 0
    /// Something may be due: look in the store.
    private var notified = true

    public init(workers: Int, claimAhead: Int = 4) {
        self.workers = max(workers, 1)
        self.claimAhead = max(claimAhead, 1)
    }

    public var waitingCount: Int { waiting.count - head }

    /// How many more messages a claim may take now (none while one is in flight).
    public var capacity: Int { claiming ? 0 : workers * claimAhead - waitingCount - busy }

    /// How many messages to claim now: none while a claim is in flight, nor while every
    /// worker still has a message waiting and less than half the claim-ahead is free. Under
    /// load, claims then come in chunks (a transaction for many messages, not one per
    /// finished message); a worker about to run dry is never kept waiting for it.
    public var claimable: Int {
        let free = capacity
        if free <= 0 || (waitingCount >= workers && free * 2 < workers * claimAhead) { return 0 }
        return free
    }

    /// Workers idle with nothing claimed for them: how many new messages this process could
    /// start at once (none while stopping).
    public var idleWorkers: Int { stopping ? 0 : max(0, workers - busy - waitingCount) }

    /// Whether a sleeping dispatcher should wake: work announced, or stopping.
    public var hasNews: Bool { notified || stopping }

    /// Nothing in flight: no worker busy, no claim, no record uncommitted.
    public var isIdle: Bool { busy == 0 && !claiming && recording == 0 }

    // MARK: Dispatcher

    public mutating func nextDispatch() -> DispatcherAction {
        if stopping { return .exit }
        let capacity = claimable
        if capacity <= 0 { return .waitForCapacity }
        if !notified { return .waitForWork }
        notified = false
        claiming = true
        return .claim(capacity)
    }

    /// New work may be due (intake stored a message, a retry fell due, a lease was given
    /// back, a timer fired).
    public mutating func notify() {
        notified = true
    }

    /// Intake stored message `id`: news, unless the claim along with its commit took it
    /// already (this process holds it; a claim now would find nothing new).
    public mutating func notify(newMessage id: Int64) {
        if !held.contains(id) { notified = true }
    }

    /// A claim the store makes for this process in the transaction that stores new messages
    /// (see ``ClaimAlong``): reserved as the dispatcher's own claim would be, so that the two
    /// are never in flight together. How many to claim; when more than none, ``claimed(_:requested:)``
    /// or ``claimFailed()`` follows.
    public mutating func reserveClaim() -> Int {
        guard !stopping else { return 0 }
        let count = claimable
        if count > 0 { claiming = true }
        return count
    }

    /// What to do with what a claim returned.
    public struct ClaimOutcome: Sendable, Equatable {
        /// Queued for the workers.
        public var accepted: [Int64] = []
        /// Claimed again while this process still holds them (a stalled lease ran out): the
        /// first claim finishes them; they are not sent twice.
        public var alreadyHeld: [Int64] = []
        /// Claimed after `stop()`: nobody will send them; give their leases back, then call
        /// ``leasesGivenBack()``: until then the claim is still in flight, so that `stop()`
        /// waits for the release (the store closes right after it).
        public var release: [Int64] = []
    }

    public mutating func claimed(_ messages: [ClaimedMessage], requested: Int) -> ClaimOutcome {
        var outcome = ClaimOutcome()
        guard !stopping else {
            outcome.release = messages.map(\.id)
            claiming = !outcome.release.isEmpty
            return outcome
        }
        claiming = false
        for message in messages {
            if held.insert(message.id).inserted {
                waiting.append(message)
                outcome.accepted.append(message.id)
            } else {
                outcome.alreadyHeld.append(message.id)
            }
        }
        // A full batch means more may be waiting: look again as soon as there is room.
        if messages.count >= requested { notified = true }
        return outcome
    }

    public mutating func claimFailed() {
        claiming = false
    }

    /// What a claim returned after `stop()` is given back: the claim is over.
    public mutating func leasesGivenBack() {
        claiming = false
    }

    // MARK: Workers

    public mutating func nextJob() -> WorkerAction {
        if stopping { return .exit }
        guard head < waiting.count else { return .wait }
        let message = waiting[head]
        head += 1
        if head > 64 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        busy += 1
        return .run(message)
    }

    /// A worker finished a send and submitted its record. It announces nothing: room for a
    /// claim opened, but a claim that came back short found nothing more due, and a full one
    /// announced itself (an announcement here cost an empty claim per message).
    public mutating func jobFinished() {
        busy -= 1
        recording += 1
    }

    /// A worker gave up on a job before a record was submitted (nothing to record).
    public mutating func jobAbandoned(_ id: Int64) -> [Int64] {
        busy -= 1
        notified = true
        return held.remove(id) == nil ? [] : [id]
    }

    /// The store answered an attempt's record. `committed`: recorded (or the lease was
    /// lost to another process: not ours to give back). When the record failed, the
    /// message is still `sending` under this process's lease: give the lease back, so that
    /// it is tried again at once instead of never (it is no longer renewed).
    public mutating func recordFinished(_ id: Int64, committed: Bool, retryDue: Bool) -> [Int64] {
        recording -= 1
        held.remove(id)
        if retryDue || !committed { notified = true }
        return committed ? [] : [id]
    }

    // MARK: Stop

    /// Stops claiming and handing out work. Returns the messages claimed and not started,
    /// whose leases to give back; sends in flight finish and are recorded.
    public mutating func stop() -> [Int64] {
        stopping = true
        let unstarted = waiting[head...].map(\.id)
        waiting = []
        head = 0
        held.subtract(unstarted)
        return unstarted
    }
}
