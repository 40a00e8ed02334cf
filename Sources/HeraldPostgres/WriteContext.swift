import HeraldCore

/// What a write job sees: the writer's connection, inside the batch's transaction, and
/// the history rows and wake-ups it adds, which the batch writes once, at its end.
final class WriteContext {
    let connection: Connection
    private(set) var events: [PendingEvent] = []
    private(set) var wakesWorkers = false
    /// New messages this batch queued (announced only beyond this process's idle workers).
    private(set) var newMessages = 0

    struct PendingEvent {
        var messageID: Int64
        var at: Int64
        var status: MessageStatus
        var detail: String?
    }

    struct Mark {
        fileprivate var events: Int
        fileprivate var wakesWorkers: Bool
        fileprivate var newMessages: Int
    }

    init(connection: Connection) {
        self.connection = connection
    }

    /// Appends to a message's history (written at the end of the batch).
    func recordEvent(messageID: Int64, status: MessageStatus, detail: String?, at: Int64) {
        events.append(PendingEvent(messageID: messageID, at: at, status: status, detail: detail))
    }

    /// Something became due at once: tell every instance's idle workers at the commit.
    func wakeWorkers() {
        wakesWorkers = true
    }

    /// A new message is due: tell the other instances at the commit if this process cannot
    /// start it (and the batch's other new ones) at once.
    func queuedNewMessage() {
        newMessages += 1
    }

    /// Whether the commit announces work, given how many new messages this process's idle
    /// workers can start (nil: no engine here, announce everything), or what the claim along
    /// with them took for this process (``ClaimAlong``): then only a full claim, which may
    /// have left some, is announced.
    func announces(spareWorkers: () -> Int?, along: ClaimAlongReservation?) -> Bool {
        if wakesWorkers { return true }
        guard newMessages > 0 else { return false }
        if let along { return along.cameBackFull }
        guard let spare = spareWorkers() else { return true }
        return newMessages > spare
    }

    var mark: Mark { Mark(events: events.count, wakesWorkers: wakesWorkers, newMessages: newMessages) }

    /// Forgets what a job rolled back to its savepoint had added.
    func restore(_ mark: Mark) {
        events.removeLast(events.count - mark.events)
        wakesWorkers = mark.wakesWorkers
        newMessages = mark.newMessages
    }
}

@available(*, unavailable)
extension WriteContext: Sendable {}
