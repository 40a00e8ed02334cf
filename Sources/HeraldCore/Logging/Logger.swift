/// A small structured logger in the shape of swift-log: a value type carrying a label,
/// a minimum level and metadata, writing through an injected ``LogHandler``.
///
/// Messages are short constants; details go in metadata with dotted keys
/// (`message.id`, `http.status`). Codes, links, secrets and recipient addresses are never
/// logged.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var name: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }
    }

    public typealias Metadata = [String: String]

    public let label: String
    public var level: Level
    public var metadata: Metadata
    private let handler: any LogHandler

    public init(label: String, level: Level = .info, handler: any LogHandler) {
        self.label = label
        self.level = level
        self.metadata = [:]
        self.handler = handler
    }

    /// A logger that drops everything, for components created without one.
    public static let disabled = Logger(label: "disabled", level: .critical, handler: NullLogHandler())

    public subscript(metadataKey key: String) -> String? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        _ level: Level,
        _ message: @autoclosure () -> String,
        _ metadata: @autoclosure () -> Metadata = [:]
    ) {
        guard level >= self.level else { return }
        var merged = self.metadata
        merged.merge(metadata(), uniquingKeysWith: { _, new in new })
        handler.write(LogRecord(level: level, label: label, message: message(), metadata: merged))
    }

    public func trace(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.trace, message(), metadata())
    }
    public func debug(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.debug, message(), metadata())
    }
    public func info(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.info, message(), metadata())
    }
    public func notice(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.notice, message(), metadata())
    }
    public func warning(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.warning, message(), metadata())
    }
    public func error(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> Metadata = [:]) {
        log(.error, message(), metadata())
    }
}

/// One log event, handed to a ``LogHandler``.
public struct LogRecord: Sendable, Equatable {
    public var level: Logger.Level
    public var label: String
    public var message: String
    public var metadata: Logger.Metadata

    public init(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }
}

/// Where log records go. Implementations must be safe to call from any thread.
public protocol LogHandler: Sendable {
    func write(_ record: LogRecord)
}

/// Drops every record.
public struct NullLogHandler: LogHandler {
    public init() {}
    public func write(_ record: LogRecord) {}
}
