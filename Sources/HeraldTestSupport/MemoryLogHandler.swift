public import HeraldCore
import Synchronization

/// Collects log records so tests can check what was logged.
public final class MemoryLogHandler: LogHandler {
    private let records = Mutex<[LogRecord]>([])
    public init() {}
    public func write(_ record: LogRecord) { records.withLock { $0.append(record) } }
    public var all: [LogRecord] { records.withLock { $0 } }
}
