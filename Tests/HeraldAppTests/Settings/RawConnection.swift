import Foundation

/// A plain TCP connection to 127.0.0.1 (from `source`, another loopback address, if given),
/// for what an HTTP client does not do: hold a slot idle, trickle a request, watch for the
/// server closing.
final class RawConnection {
    let fd: Int32
    private(set) var received: [UInt8] = []
    private(set) var closed = false

    init(port: String, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        func address(_ host: String, _ port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr(host)
            return address
        }
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        var local = address(source ?? "127.0.0.1", 0)
        var remote = address("127.0.0.1", UInt16(port) ?? 0)
        let bound = source == nil || withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } } == 0
        guard bound, withUnsafePointer(to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } }) == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(fd) }

    /// Sends without waiting; false once the server no longer takes bytes.
    @discardableResult
    func send(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) } > 0
    }

    /// Reads for up to `timeout` seconds, until `done` holds for what came or the server
    /// closes; says whether `done` held.
    @discardableResult
    func read(for timeout: Double, until done: (String) -> Bool = { _ in false }) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !closed && !done(text) && Date() < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, max(1, Int32(deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { closed = true } else { received += chunk[..<count] }
        }
        return done(text)
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// `GET /healthz` on this connection, kept alive; whether it was answered 200.
    func healthz(timeout: Double = 5) -> Bool {
        received = []
        send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return read(for: timeout) { $0.hasPrefix("HTTP/1.1 200") && $0.hasSuffix("}\n") }
    }

    /// Whether the server closes the connection within `timeout` seconds.
    func closes(within timeout: Double) -> Bool {
        read(for: timeout)
        return closed
    }
}
