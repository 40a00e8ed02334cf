import Foundation
import HeraldTestSupport
import Synchronization

/// An HTTP/1.1 server on 127.0.0.1 that works on bytes, for what a ``ProviderDouble``
/// cannot show: request headers exactly as they came (case, repeats, order), answers no
/// server library would write (repeated headers, a 100 Continue first, a body cut short),
/// and the connections themselves (how many were opened). Each connection has a thread
/// that reads requests framed by Content-Length and writes what `answer` returns.
final class WireServer: Sendable {
    struct Request: Sendable {
        /// Which connection it came on, from 0 in the order accepted.
        var connection: Int
        /// The request line and header lines, without the blank line.
        var head: [String]
        var body: [UInt8]

        /// Header lines as (name, value), names as sent.
        var fields: [(name: String, value: String)] {
            head.dropFirst().compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
    }

    /// What to write back: bytes, then whether to close the connection.
    struct Answer: Sendable {
        var bytes: [UInt8]
        var close = false

        /// A whole answer with `Content-Length` added after `headers`.
        static func http(_ status: Int, _ headers: [(String, String)] = [], body: String = "") -> Answer {
            var text = "HTTP/1.1 \(status) Status\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            return Answer(bytes: Array(text.utf8))
        }
    }

    let port: UInt16
    private let listener: Int32
    private let answer: @Sendable (Request) -> Answer
    private let received = Mutex<[Request]>([])
    private let accepted = Atomic<Int>(0)
    private let open = Mutex<Set<Int32>>([])
    private let stopping = Atomic<Bool>(false)

    init(_ answer: @escaping @Sendable (Request) -> Answer = { _ in .http(200, body: "ok") }) throws {
        self.answer = answer
        let (fd, port) = try boundLoopbackSocket()
        guard listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        listener = fd
        self.port = port
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    /// Every request so far, oldest first.
    var requests: [Request] { received.withLock { $0 } }
    /// Connections accepted so far.
    var connections: Int { accepted.load(ordering: .acquiring) }

    /// Stops accepting and cuts every open connection.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))  // wakes the blocked accept
        open.withLock { for fd in $0 { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !stopping.load(ordering: .acquiring) {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { if errno == EINTR { continue } else { return } }
            let index = accepted.add(1, ordering: .acquiringAndReleasing).oldValue
            open.withLock { _ = $0.insert(fd) }
            Thread { [self] in
                serve(fd, connection: index)
                open.withLock { _ = $0.remove(fd) }
                close(fd)
            }.start()
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        var buffer: [UInt8] = []
        let separator = Array("\r\n\r\n".utf8)
        while true {
            guard let end = Self.find(separator, in: buffer) ?? readMore(fd, into: &buffer, thenFind: separator) else { return }
            let head = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            buffer.removeFirst(end + separator.count)
            var request = Request(connection: connection, head: head, body: [])
            let length = request.fields.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
            while buffer.count < length {
                guard read(fd, into: &buffer) else { return }
            }
            request.body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
            received.withLock { $0.append(request) }
            let reply = answer(request)
            var offset = 0
            while offset < reply.bytes.count {
                let sent = reply.bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent > 0 else { return }
                offset += sent
            }
            if reply.close { return }
        }
    }

    private func readMore(_ fd: Int32, into buffer: inout [UInt8], thenFind separator: [UInt8]) -> Int? {
        while true {
            guard read(fd, into: &buffer) else { return nil }
            if let end = Self.find(separator, in: buffer) { return end }
        }
    }

    private func read(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
