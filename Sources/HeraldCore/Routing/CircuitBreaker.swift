/// One provider's circuit breaker, per process, as a value: closed (messages go through),
/// open (skipped until a cooldown passes), half-open (one probe goes through; its success
/// closes the circuit, its failure opens it again). It opens after `consecutiveFailures`
/// provider-level failures in a row, or when at least `failureRatio` of the attempts in the
/// last `window` failed (once there were `minimumAttempts` of them). A recipient's error
/// is not the provider's: it counts as an answer.
public struct CircuitBreaker: Sendable {
    public struct Settings: Sendable, Equatable {
        public var consecutiveFailures = 5
        public var failureRatio = 0.5
        public var minimumAttempts = 20
        /// Milliseconds of history the ratio looks at.
        public var window: Int64 = 60_000
        /// Milliseconds an open circuit waits before letting a probe through.
        public var cooldown: Int64 = 30_000

        public init() {}
    }

    public enum State: Sendable, Equatable {
        case closed
        case open(until: Int64)
        /// `probing`: the one probe is out.
        case halfOpen(probing: Bool)

        public var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    public enum Permission: Sendable, Equatable {
        /// Send.
        case allowed
        /// Send: this is the probe of a half-open circuit.
        case probe
        /// Skip this provider.
        case refused
    }

    public let settings: Settings
    public private(set) var state: State = .closed
    public private(set) var failuresInARow = 0
    /// Recent attempts counted in slices of a twentieth of the window, oldest first: the
    /// cost of a record stays constant however many messages a second go through.
    private var slices: [Slice] = []

    private struct Slice: Sendable {
        var start: Int64
        var attempts: Int
        var failures: Int
    }

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Whether a message may go to this provider now. A half-open circuit lets exactly one
    /// caller through until that probe reports.
    public mutating func permit(now: Int64) -> (Permission, transition: State?) {
        switch state {
        case .closed:
            return (.allowed, nil)
        case .open(let until):
            guard now >= until else { return (.refused, nil) }
            state = .halfOpen(probing: true)
            return (.probe, state)
        case .halfOpen(let probing):
            if probing { return (.refused, nil) }
            state = .halfOpen(probing: true)
            return (.probe, nil)
        }
    }

    /// What an attempt came to. Returns the new state when it changed.
    public mutating func record(failed: Bool, now: Int64) -> State? {
        let width = max(settings.window / 20, 1)
        let start = now - now % width
        if let last = slices.last, last.start == start {
            slices[slices.count - 1].attempts += 1
            if failed { slices[slices.count - 1].failures += 1 }
        } else {
            slices.append(Slice(start: start, attempts: 1, failures: failed ? 1 : 0))
        }
        let horizon = now - settings.window
        while let first = slices.first, first.start + width <= horizon { slices.removeFirst() }
        failuresInARow = failed ? failuresInARow + 1 : 0
        switch state {
        case .halfOpen:
            if failed {
                state = .open(until: now + settings.cooldown)
            } else {
                state = .closed
                failuresInARow = 0
                slices.removeAll()
            }
            return state
        case .open:
            return nil  // a send that started before the circuit opened
        case .closed:
            guard failed else { return nil }
            let attempts = slices.reduce(0) { $0 + $1.attempts }
            let failures = slices.reduce(0) { $0 + $1.failures }
            let tooMany = failuresInARow >= settings.consecutiveFailures
            let tooOften = attempts >= settings.minimumAttempts && Double(failures) >= settings.failureRatio * Double(attempts)
            guard tooMany || tooOften else { return nil }
            state = .open(until: now + settings.cooldown)
            return state
        }
    }

    /// Whether the provider is taking messages (closed, or half-open with its probe due).
    public var isUp: Bool { state == .closed }
}

/// A token bucket: `rate` tokens per `per` milliseconds, up to `burst` saved up. Per
/// process, shared by its workers: a message waits for a token instead of drawing a 429.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let per: Int64
    public let burst: Double
    private var tokens: Double
    private var last: Int64?

    public init(rate: Int, per: Int64, burst: Int? = nil) {
        self.rate = Double(max(rate, 1))
        self.per = max(per, 1)
        self.burst = Double(burst ?? max(rate, 1))
        tokens = self.burst
    }

    /// Takes a token: nil when one was there, else the milliseconds until one will be.
    public mutating func take(now: Int64) -> Int64? {
        if let last {
            let refill = Double(max(now - last, 0)) * rate / Double(per)
            tokens = min(burst, tokens + refill)
        }
        last = now
        if tokens >= 1 - 1e-9 {  // a tenth added ten times is 0.999...
            tokens = max(tokens - 1, 0)
            return nil
        }
        return Int64(((1 - tokens) * Double(per) / rate).rounded(.up))
    }
}

/// `?rate=10/s`, `?rate=600/m`, `?rate=3600/h`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    /// Milliseconds.
    public var per: Int64

    public init(count: Int, per: Int64) {
        self.count = count
        self.per = per
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), count > 0, count <= 1_000_000 else { return nil }
        switch parts[1].lowercased() {
        case "s", "sec", "second": per = 1_000
        case "m", "min", "minute": per = 60_000
        case "h", "hour": per = 3_600_000
        default: return nil
        }
        self.count = count
    }

    public var description: String {
        "\(count)/" + (per == 1_000 ? "s" : per == 60_000 ? "m" : "h")
    }
}
