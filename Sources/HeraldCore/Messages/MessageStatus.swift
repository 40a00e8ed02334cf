/// The states of a message, for the whole project.
///
/// - `queued`: accepted and waiting to be sent.
/// - `sending`: claimed by a worker, an attempt is under way.
/// - `retrying`: an attempt failed transiently; another is scheduled.
/// - `sent`: a transport accepted it.
/// - `failed`: it will not be sent (permanent error, attempts exhausted, unusable event).
/// - `expired`: it became too old to be useful before it could be sent.
/// - `cancelled`: an operator cancelled it.
/// - `skipped`: Clerk delivers it itself (`delivered_by_clerk: true`).
public enum MessageStatus: String, Sendable, CaseIterable, Codable {
    case queued, sending, retrying, sent, failed, expired, cancelled, skipped

    /// The states of a message still on its way: queued, sending, retrying.
    public static let pending = allCases.filter { !$0.isFinal }

    /// No further transitions happen on their own from a final state.
    public var isFinal: Bool {
        switch self {
        case .sent, .failed, .expired, .cancelled, .skipped: true
        case .queued, .sending, .retrying: false
        }
    }
}
