import HeraldCore

/// What a write job sees: the writer's connection, inside the batch's transaction, and
/// the history rows and wake-ups it adds, which the batch writes once, at its end.
final class WriteContext {
    let connection: Connection
    private(set) var events: [PendingEvent] = []
    private(set) var wakesWorkers = false

    struct PendingEvent {
        var messageID: Int64
        var at: Int64
        var status: MessageStatus
        var detail: String?
    }

    struct Mark {
        fileprivate var events: Int
        fileprivate var wakesWorkers: Bool
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

    var mark: Mark { Mark(events: events.count, wakesWorkers: wakesWorkers) }

    /// Forgets what a job rolled back to its savepoint had added.
    func restore(_ mark: Mark) {
        events.removeLast(events.count - mark.events)
        wakesWorkers = mark.wakesWorkers
    }
}

@available(*, unavailable)
extension WriteContext: Sendable {}
