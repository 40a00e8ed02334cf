import Foundation
import HeraldCore

/// Wakes idle workers when any instance queued work: a connection of its own, on its own
/// thread, `LISTEN`s on `herald_work` (the writer `NOTIFY`s it right after the commit that
/// made something due) and calls every registered wake-up on each notification. Started
/// by the first registration. A lost connection is opened again with backoff, and the
/// workers are woken then too (a notification may have been missed meanwhile); the
/// engine's poll covers the gap, and poolers that cannot keep a session (pgbouncer in
/// transaction mode).
final class Listener: Sendable {
    /// Guarded by `condition`'s lock.
    private final class State: @unchecked Sendable {
        // All fields are read and written only while `condition` is locked.
        let condition = NSCondition()
        var wakes: [@Sendable () -> Void] = []
        var started = false
        var stopping = false
        var stopped = false
    }

    private let state = State()
    private let stopSignal: WakePipe?
    private let target: ConnectionTarget
    private let logger: Logger

    init(target: ConnectionTarget, logger: Logger) {
        self.target = target
        self.logger = logger
        stopSignal = WakePipe()
    }

    /// Calls `wake` on every notification, from the listener's thread (keep it short).
    func add(_ wake: @escaping @Sendable () -> Void) {
        state.condition.lock()
        defer { state.condition.unlock() }
        guard !state.stopping, let stopSignal else { return }
        state.wakes.append(wake)
        guard !state.started else { return }
        state.started = true
        let state = self.state
        let (target, logger) = (self.target, self.logger)
        startThread(named: "herald-pg-listen") {
            let link = Link(target: target, role: "listener", logger: logger) { connection throws(PostgresError) in
                try connection.execute("LISTEN herald_work")
            }
            Listener.loop(link: link, state: state, stopSignal: stopSignal)
            link.close()
            state.condition.lock()
            state.stopped = true
            state.condition.broadcast()
            state.condition.unlock()
        }
    }

    /// Stops listening and closes the connection (`waiting`: before returning).
    func close(waiting: Bool = true) {
        state.condition.lock()
        state.stopping = true
        let started = state.started
        state.condition.unlock()
        guard started else { return }
        stopSignal?.signal()
        state.condition.lock()
        while waiting && !state.stopped { state.condition.wait() }
        state.condition.unlock()
    }

    private static func loop(link: Link, state: State, stopSignal: WakePipe) {
        var listening = 0
        while true {
            let connection: Connection
            do {
                connection = try link.open()
            } catch {
                if stopSignal.wait(seconds: max(link.retryDelay, 0.05)) { return }
                continue
            }
            if listening != link.generation {
                // A new session: what was notified while there was none is unknown.
                listening = link.generation
                wakeAll(state)
            }
            switch stopSignal.wait(for: connection.socket, seconds: 30) {
            case .stop:
                return
            case .timeout:
                continue
            case .readable:
                guard let count = connection.drainNotifications() else {
                    link.failed(PostgresError(sqlState: nil, message: "the listening connection was lost", connectionLost: true))
                    continue
                }
                if count > 0 { wakeAll(state) }
            }
        }
    }

    private static func wakeAll(_ state: State) {
        state.condition.lock()
        let wakes = state.wakes
        state.condition.unlock()
        for wake in wakes { wake() }
    }
}

/// A pipe that another thread writes a byte to, to end a `poll` (`close()` on a stopping
/// store). Owns both descriptors and closes them in `deinit`.
final class WakePipe: Sendable {
    enum Wait { case readable, timeout, stop }

    private let readEnd: Int32
    private let writeEnd: Int32

    init?() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Waits up to `seconds` for the stop signal; true when it came.
    func wait(seconds: Double) -> Bool {
        wait(for: -1, seconds: seconds) == .stop
    }

    /// Waits up to `seconds` for `socket` to be readable or the stop signal.
    func wait(for socket: Int32, seconds: Double) -> Wait {
        var fds = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0), pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, socket >= 0 ? 2 : 1, Int32(seconds * 1000))
        if ready < 0 { return errno == EINTR ? .timeout : .stop }
        if fds[0].revents != 0 { return .stop }
        return fds[1].revents != 0 ? .readable : .timeout
    }
}
