import Foundation
public import HeraldCore

/// Who this process is, for the instance row that owns its leases, and how to tell
/// whether another instance on this machine is still running.
public struct InstanceIdentity: Sendable {
    public var host: String
    public var pid: Int32
    /// `pid:[4026531836]`, empty where the system has no such thing.
    public var pidNamespace: String
    public var processStart: Int64
    /// The start time of the process with this PID in this namespace, nil if none.
    public var startOfProcess: @Sendable (Int32) -> Int64?

    public init(host: String, pid: Int32, pidNamespace: String, processStart: Int64, startOfProcess: @escaping @Sendable (Int32) -> Int64?) {
        self.host = host
        self.pid = pid
        self.pidNamespace = pidNamespace
        self.processStart = processStart
        self.startOfProcess = startOfProcess
    }

    /// This process, read from the kernel.
    public static var current: InstanceIdentity {
        let pid = getpid()
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? ""
        return InstanceIdentity(
            host: ProcessInfo.processInfo.hostName, pid: pid, pidNamespace: namespace, processStart: Self.startTime(of: pid) ?? 0,
            startOfProcess: Self.startTime(of:))
    }

    /// A fresh instance id: random, so that two containers with the same host name and PID
    /// never share one.
    public func record(at now: Int64) -> InstanceRecord {
        let random = (0..<12).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        return InstanceRecord(
            id: "\(host.prefix(40)):\(pid):\(random)", host: host, pid: pid, pidNamespace: pidNamespace, processStart: processStart,
            startedAt: now, heartbeatAt: now)
    }

    public func liveness(staleAfter: Int64) -> InstanceLiveness {
        InstanceLiveness(host: host, pidNamespace: pidNamespace, staleAfter: staleAfter, processStart: startOfProcess)
    }

    /// Field 22 of `/proc/PID/stat` (start time in clock ticks after boot), nil when there
    /// is no such process.
    static func startTime(of pid: Int32) -> Int64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"), let text = String(data: data, encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After the command name in parentheses: field 3 onwards, space-separated.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return Int64(fields[19])
    }
}
