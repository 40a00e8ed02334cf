import Foundation

/// Limits and address of the HTTP server.
public struct HTTPServerConfiguration: Sendable {
    /// An IP literal (`127.0.0.1`, `::1`, `0.0.0.0`, `::`) or `localhost`.
    public var host: String
    /// 0 picks a free port (see ``HTTPServer/port``).
    public var port: UInt16
    public var maxBodyBytes: Int
    /// Open connections in all. Near it, connections that hold a slot without a request
    /// being handled (idle, or still sending after a second) are cut to make room.
    public var connectionLimit: Int
    /// Open connections per client address. 64 of 1,024: at least 16 addresses are needed
    /// to take every slot, while a sender such as Svix, delivering from a few addresses with
    /// a few dozen requests at a time, never comes near it. Behind a reverse proxy every
    /// connection comes from the proxy: its upstream connections must stay within this.
    public var perIPConnectionLimit: Int
    /// Idle seconds before a connection is closed (libmicrohttpd's timeout: any byte resets it).
    public var connectionTimeoutSeconds: Int
    /// Seconds a request has, from its connection's opening (or, on a kept-alive connection,
    /// from its request line), to arrive whole: headers and body. However steadily a client
    /// trickles, its connection is cut then.
    public var requestTimeoutSeconds: Int
    /// Event threads (each runs epoll over its share of the connections).
    public var threads: Int

    /// One event thread per core, at least two.
    public static var defaultThreads: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    public init(
        host: String = "127.0.0.1", port: UInt16 = 8787, maxBodyBytes: Int = 1 << 20, connectionLimit: Int = 1024,
        perIPConnectionLimit: Int = 64, connectionTimeoutSeconds: Int = 30, requestTimeoutSeconds: Int = 10,
        threads: Int = HTTPServerConfiguration.defaultThreads
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.connectionLimit = connectionLimit
        self.perIPConnectionLimit = perIPConnectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.threads = threads
    }
}

public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
