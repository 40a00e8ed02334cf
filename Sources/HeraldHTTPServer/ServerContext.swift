import HeraldCore
import Synchronization

/// What the C callbacks reach through their context pointer: immutable or atomic, so Sendable.
final class ServerContext: Sendable {
    let handler: any HTTPHandler
    let maxBodyBytes: Int
    /// Requests whose handler answers later and has not yet.
    let inFlight = Atomic<Int>(0)

    init(handler: any HTTPHandler, configuration: HTTPServerConfiguration) {
        self.handler = handler
        maxBodyBytes = configuration.maxBodyBytes
    }
}

/// Per-request state behind `*con_cls`, from the first callback to `requestCompleted`.
/// The `var`s are only touched by the connection's event thread (one at a time, also
/// across suspend and resume); `pending` crosses threads behind its mutex.
final class RequestState: @unchecked Sendable {
    var request = HTTPRequest(method: "GET", path: "/")
    var headersSeen = false
    var tooLarge = false
    var responded = false
    var suspended = false
    /// Bytes read and thrown away after the body went over the limit.
    var discarded = 0
    let pending = Mutex<HTTPResponse?>(nil)
}

/// Makes sure a connection is resumed once, even if a handler answers twice.
final class AnswerOnce: Sendable {
    private let done = Atomic<Bool>(false)
    func claim() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}

/// A suspended connection, resumed from another thread (MHD_resume_connection is
/// documented as safe to call from any thread, at any time).
struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer?
}
