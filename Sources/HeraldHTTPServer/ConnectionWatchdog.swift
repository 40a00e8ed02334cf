import Dispatch
import Foundation
import HeraldCore
import Synchronization

/// Milliseconds on a clock that never jumps.
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// One open connection, from libmicrohttpd's "started" notification to its "closed" one:
/// what it is doing and since when. Written by the connection's event thread, read by the
/// watchdog.
final class ConnectionRecord: Sendable {
    enum Phase: Int64 {
        /// A request is arriving (headers, body): the request deadline runs.
        case receiving = 0
        /// Between requests on a kept-alive connection.
        case waiting = 1
        /// The request is in: being handled, answered, or waiting for a store commit.
        case handling = 2
    }

    let fd: Int32
    /// The phase in the low two bits, when it began (monotonic ms) in the rest: one word,
    /// so the watchdog never sees a phase with another phase's start.
    private let word: Atomic<Int64>
    /// Set once the watchdog has shut the socket down.
    let cut = Atomic<Bool>(false)

    init(fd: Int32, now: Int64) {
        self.fd = fd
        word = Atomic(now << 2 | Phase.receiving.rawValue)
    }

    func enter(_ phase: Phase, at now: Int64 = monotonicMilliseconds()) {
        word.store(now << 2 | phase.rawValue, ordering: .releasing)
    }

    /// A request line arrived: on a kept-alive connection its request begins now. (The first
    /// request of a connection counts from the opening.)
    func requestLineArrived() {
        if current.phase == .waiting { enter(.receiving) }
    }

    var current: (phase: Phase, since: Int64) {
        let value = word.load(ordering: .acquiring)
        return (Phase(rawValue: value & 3) ?? .handling, value >> 2)
    }
}

/// Cuts connections that take too long to send their request, which libmicrohttpd's idle
/// timeout cannot see (every byte resets it): a request must arrive whole within the
/// request timeout, a kept-alive connection must start its next request within the idle
/// timeout; and when the connection slots are nearly all taken, anything that has held its
/// slot for a second without a request to handle is cut to make room for new clients.
///
/// How a connection is cut, and why it is safe with libmicrohttpd 0.9.75's thread pool
/// (one epoll loop per thread, each owning its connections): the watchdog runs on a thread
/// of its own and may not touch a connection (libmicrohttpd's connection calls belong to
/// the connection's thread), nor `close` its socket (the number could be reused at once by
/// an accept on another thread, and libmicrohttpd panics when its epoll_ctl on a closed fd
/// fails). It calls `shutdown(fd, SHUT_RDWR)`: the descriptor stays open and owned by
/// libmicrohttpd, epoll reports the hang-up to the owning thread, whose next read sees the
/// end of the stream, and libmicrohttpd closes and cleans up the connection itself (the
/// same way it wakes connections in MHD_stop_daemon). The fd is still the connection's
/// when `shutdown` runs: the watchdog holds the table's lock while it calls it, and the
/// "closed" notification, which removes the record under that lock, comes before
/// libmicrohttpd closes the socket (MHD_cleanup_connections). Suspended connections (a
/// store commit pending) are never cut: they are handling, and epoll no longer watches them.
final class ConnectionWatchdog: Sendable {
    private let records = Mutex<[ObjectIdentifier: ConnectionRecord]>([:])
    private let requestTimeout: Int64
    private let idleTimeout: Int64
    private let connectionLimit: Int
    /// Free slots kept for new clients: below it, the watchdog makes room.
    private let reserve: Int
    /// How long a connection may hold a slot without a request to handle when room is short.
    private let pressureGrace: Int64 = 1000
    private let interval: Double
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)
    private let cutCount = Atomic<Int>(0)

    /// Seconds ≤ 0: no such limit.
    init(requestTimeoutSeconds: Int, idleTimeoutSeconds: Int, connectionLimit: Int) {
        requestTimeout = requestTimeoutSeconds > 0 ? Int64(requestTimeoutSeconds) * 1000 : .max
        idleTimeout = idleTimeoutSeconds > 0 ? Int64(idleTimeoutSeconds) * 1000 : .max
        self.connectionLimit = connectionLimit
        reserve = max(1, connectionLimit / 16)
        // A tenth of the deadline, between 50 and 250 ms: cuts come at most that late.
        interval = min(0.25, max(0.05, Double(min(requestTimeout, 2500)) / 10_000))
    }

    /// Connections cut so far.
    var cuts: Int { cutCount.load(ordering: .relaxed) }

    func opened(fd: Int32) -> ConnectionRecord {
        let record = ConnectionRecord(fd: fd, now: monotonicMilliseconds())
        records.withLock { $0[ObjectIdentifier(record)] = record }
        return record
    }

    /// Called before libmicrohttpd closes the socket.
    func closed(_ record: ConnectionRecord) {
        _ = records.withLock { $0.removeValue(forKey: ObjectIdentifier(record)) }
    }

    func start() {
        running.store(true, ordering: .releasing)
        startThread(named: "herald-http-dog") { [self] in
            while running.load(ordering: .acquiring) {
                sweep(now: monotonicMilliseconds())
                _ = wake.wait(timeout: .now() + interval)
            }
            finished.signal()
        }
    }

    /// Ends the thread and waits for it.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        finished.wait()
    }

    func sweep(now: Int64) {
        records.withLock { records in
            let pressed = records.count > connectionLimit - reserve
            for record in records.values where !record.cut.load(ordering: .relaxed) {
                let (phase, since) = record.current
                let age = now - since
                let overdue =
                    switch phase {
                    case .receiving: age >= requestTimeout || (pressed && age >= pressureGrace)
                    case .waiting: age >= idleTimeout || (pressed && age >= pressureGrace)
                    case .handling: false
                    }
                guard overdue else { continue }
                record.cut.store(true, ordering: .relaxed)
                cutCount.add(1, ordering: .relaxed)
                // Under the lock: see the type's comment.
                shutdown(record.fd, Int32(SHUT_RDWR))
            }
        }
    }
}
