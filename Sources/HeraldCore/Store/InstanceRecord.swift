/// A delivering process as the store knows it: who holds leases, and whether it is alive.
public struct InstanceRecord: Sendable, Equatable {
    /// Random per process; the owner of its leases.
    public var id: String
    public var host: String
    public var pid: Int32
    /// The process's PID namespace (`pid:[4026531836]` on Linux): two containers on one host
    /// share a host name and may share a PID, never this.
    public var pidNamespace: String
    /// The process's start time as the kernel tells it (clock ticks since boot), so that a
    /// recycled PID is not mistaken for the process.
    public var processStart: Int64
    public var startedAt: Int64
    public var heartbeatAt: Int64

    public init(id: String, host: String, pid: Int32, pidNamespace: String, processStart: Int64, startedAt: Int64, heartbeatAt: Int64) {
        self.id = id
        self.host = host
        self.pid = pid
        self.pidNamespace = pidNamespace
        self.processStart = processStart
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }
}

/// Whether a registered instance is gone, so that its leases can be taken over at once
/// instead of after they run out. A heartbeat older than `staleAfter` means gone. A fresh
/// heartbeat is trusted unless the instance is provably dead here: same host, same PID
/// namespace, and its PID is not running or runs another process (a different start time).
/// Host name and PID alone prove nothing: in containers every instance is PID 1 on a host
/// name that may repeat.
public struct InstanceLiveness: Sendable {
    public var host: String
    public var pidNamespace: String
    public var staleAfter: Int64
    /// The start time of the process with this PID here, nil when there is none.
    public var processStart: @Sendable (Int32) -> Int64?

    public init(host: String, pidNamespace: String, staleAfter: Int64, processStart: @escaping @Sendable (Int32) -> Int64?) {
        self.host = host
        self.pidNamespace = pidNamespace
        self.staleAfter = staleAfter
        self.processStart = processStart
    }

    public func isDead(_ instance: InstanceRecord, now: Int64) -> Bool {
        if now - instance.heartbeatAt > staleAfter { return true }
        guard !pidNamespace.isEmpty, instance.host == host, instance.pidNamespace == pidNamespace else { return false }
        guard let start = processStart(instance.pid) else { return true }
        return start != instance.processStart
    }
}
