import Foundation

/// Limits and address of the HTTP server.
public struct HTTPServerConfiguration: Sendable {
    /// An IP literal (`127.0.0.1`, `::1`, `0.0.0.0`, `::`) or `localhost`.
    public var host: String
    /// 0 picks a free port (see ``HTTPServer/port``).
    public var port: UInt16
    public var maxBodyBytes: Int
    public var connectionLimit: Int
    public var perIPConnectionLimit: Int
    /// Idle seconds before a connection is closed.
    public var connectionTimeoutSeconds: Int
    /// Event threads (each runs epoll over its share of the connections).
    public var threads: Int

    /// One event thread per core, at least two.
    public static var defaultThreads: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    public init(
        host: String = "127.0.0.1", port: UInt16 = 8787, maxBodyBytes: Int = 1 << 20, connectionLimit: Int = 1024,
        perIPConnectionLimit: Int = 512, connectionTimeoutSeconds: Int = 30,
        threads: Int = HTTPServerConfiguration.defaultThreads
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.connectionLimit = connectionLimit
        self.perIPConnectionLimit = perIPConnectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.threads = threads
    }
}

public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
