private import CMicroHTTPD
import HeraldCore
import Synchronization

/// What the C callbacks reach through their context pointer: immutable, atomic or behind
/// a mutex, so Sendable.
final class ServerContext: Sendable {
    let handler: any HTTPHandler
    let maxBodyBytes: Int
    /// How much of an oversized body is read (and thrown away) so that its sender, which
    /// writes the whole body before it reads, gets the 413 instead of a reset connection.
    let drainLimit: Int
    let watchdog: ConnectionWatchdog
    /// Requests whose handler answers later and has not yet.
    let inFlight = Atomic<Int>(0)
    /// Set when the server starts stopping: every answer from then on closes its connection.
    let draining = Atomic<Bool>(false)
    /// Answers given to suspended requests that libmicrohttpd has not finished sending.
    let answersUnsent = Atomic<Int>(0)
    private let waiting = Mutex(Waiting())

    private struct Waiting {
        var suspensions: [ObjectIdentifier: Suspension] = [:]
        /// Past the drain deadline: no request waits any more.
        var closed = false
    }

    init(handler: any HTTPHandler, configuration: HTTPServerConfiguration) {
        self.handler = handler
        maxBodyBytes = configuration.maxBodyBytes
        drainLimit = max(4 * configuration.maxBodyBytes, 8 << 20)
        watchdog = ConnectionWatchdog(
            requestTimeoutSeconds: configuration.requestTimeoutSeconds,
            idleTimeoutSeconds: configuration.connectionTimeoutSeconds, connectionLimit: configuration.connectionLimit)
    }

    /// Records a request whose connection was just suspended. False once the server has
    /// closed its doors: the caller answers it at once.
    func wait(_ suspension: Suspension) -> Bool {
        waiting.withLock { waiting in
            guard !waiting.closed else { return false }
            waiting.suspensions[ObjectIdentifier(suspension)] = suspension
            return true
        }
    }

    /// Answers a suspended request and resumes its connection; later answers to the same
    /// request do nothing.
    @discardableResult
    func answer(_ suspension: Suspension, with response: HTTPResponse) -> Bool {
        guard suspension.claim() else { return false }
        suspension.state.pending.withLock { $0 = response }
        // Counted until `requestCompleted`, so that a stop lets libmicrohttpd send it.
        suspension.state.answeredLater.store(true, ordering: .releasing)
        answersUnsent.add(1, ordering: .acquiringAndReleasing)
        _ = waiting.withLock { $0.suspensions.removeValue(forKey: ObjectIdentifier(suspension)) }
        // Documented as safe from any thread, at any time, for a suspended connection; it is
        // suspended until this call (claim() lets only one caller get here).
        MHD_resume_connection(suspension.connection.pointer)
        inFlight.subtract(1, ordering: .acquiringAndReleasing)
        return true
    }

    /// At the drain deadline: answers every request still waiting with `response`, and any
    /// that would start waiting from now on too. Returns those it answered.
    func answerAllWaiting(with response: HTTPResponse) -> [RequestState] {
        let all = waiting.withLock { waiting in
            waiting.closed = true
            return Array(waiting.suspensions.values)
        }
        return all.filter { answer($0, with: response) }.map(\.state)
    }
}

/// The answer the server gives in place of a handler that is too late for the stop.
let shuttingDownResponse = HTTPResponse.error(
    503, code: "shutting_down", message: "the server is shutting down; retry later",
    headers: ["Retry-After": "5", "Connection": "close"])

/// Per-request state behind `*con_cls`, from the request line to `requestCompleted`.
/// The `var`s are only touched by the connection's event thread (one at a time, also
/// across suspend and resume); `request` is read by the stopping thread only while the
/// connection is suspended, after the `ServerContext.wait` lock published it. `pending`
/// and `answeredLater` cross threads by themselves.
final class RequestState: @unchecked Sendable {
    var request = HTTPRequest(method: "GET", path: "/")
    /// Length of the raw request target as the request line had it (up to any NUL).
    let targetLength: Int?
    let connection: ConnectionRecord?
    var headersSeen = false
    var contentLengths: [String] = []
    var transferEncodings: [String] = []
    var tooLarge = false
    var responded = false
    var suspended = false
    /// Bytes read and thrown away after the body went over the limit.
    var discarded = 0
    let pending = Mutex<HTTPResponse?>(nil)
    /// Answered through ``ServerContext/answer(_:with:)`` (resumed), not sent yet.
    let answeredLater = Atomic<Bool>(false)

    init(targetLength: Int?, connection: ConnectionRecord?) {
        self.targetLength = targetLength
        self.connection = connection
    }
}

/// A request waiting for its handler's answer, with its suspended connection.
final class Suspension: Sendable {
    let state: RequestState
    let connection: SuspendedConnection
    private let done = Atomic<Bool>(false)

    init(state: RequestState, connection: SuspendedConnection) {
        self.state = state
        self.connection = connection
    }

    /// True for the first caller only: one answer, one resume, whoever answers.
    func claim() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}

/// A suspended connection, resumed from another thread (MHD_resume_connection is
/// documented as safe to call from any thread, at any time).
struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer?
}
