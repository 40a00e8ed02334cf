import Foundation

/// A TCP socket bound to `address`:`port` (0: any free port), not listening yet, and the
/// port it got; nil (the socket closed) when the address is taken.
private func boundSocket(address host: in_addr_t, port: UInt16) throws -> (fd: Int32, port: UInt16)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = host
    address.sin_port = port.bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else {
        close(fd)
        return nil
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A TCP socket bound to a free port on 127.0.0.1 (not listening yet), and the port.
public func boundLoopbackSocket() throws -> (fd: Int32, port: UInt16) {
    guard let bound = try boundSocket(address: inet_addr("127.0.0.1"), port: 0) else { throw POSIXError(.EADDRINUSE) }
    return bound
}

/// A port on 127.0.0.1 that nothing listens on now (bound, then closed again): for a
/// refused connection, or for a server told to listen on a given port.
public func freeLoopbackPort() throws -> UInt16 {
    let (fd, port) = try boundLoopbackSocket()
    close(fd)
    return port
}

/// A port for a server told where to listen (`HERALD_LISTEN=host:port`), free on every
/// address now, and outside the kernel's ephemeral range: a port from `bind(0)` (like
/// ``freeLoopbackPort()``'s) is handed out again as the local port of some other test's
/// outgoing connection, and a server then started on it, on all interfaces, fails with
/// "address in use".
public func freeListeningPort() throws -> UInt16 {
    let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
        .split(whereSeparator: \.isWhitespace).compactMap { Int($0) } ?? []
    let ephemeralStart = range.first ?? 32768
    let candidates = ephemeralStart > 12_000 ? 10_000..<ephemeralStart : 61_000..<65_535
    for _ in 0..<100 {
        if let (fd, port) = try boundSocket(address: INADDR_ANY, port: UInt16(Int.random(in: candidates))) {
            close(fd)
            return port
        }
    }
    throw POSIXError(.EADDRINUSE)
}
