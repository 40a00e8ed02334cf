import Foundation
import HeraldApp
import HeraldCore
import HeraldCrypto
import Synchronization
import Testing

let testSecretText = "whsec_bPhKrT98ePOgD0NxiDKzu6vKZZMTur0t"

func testSigner() throws -> WebhookVerifier {
    WebhookVerifier(secrets: [try WebhookSecret(parsing: testSecretText)], authenticator: OpenSSLAuthenticator())
}

func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
    return [UInt8](try Data(contentsOf: url))
}

/// A new sample message as Clerk would send it at `time` (Unix ms, default now): its
/// `timestamp` (when Clerk created it, from which a message's age counts) set to that, and
/// a Clerk id of its own (`clerkID`, or a new one: one Clerk id is stored once). The rest
/// is byte for byte.
func freshFixture(_ name: String, at time: Int64 = Int64(Date().timeIntervalSince1970 * 1000), clerkID: String? = nil) throws -> [UInt8] {
    var text = String(decoding: try fixture(name), as: UTF8.self)
    let range = try #require(text.range(of: #""timestamp": \d+"#, options: .regularExpression))
    text = text.replacingCharacters(in: range, with: "\"timestamp\": \(time)")
    let id = try #require(text.range(of: #""id": "(ema|sms)_[A-Za-z0-9]+""#, options: .regularExpression))
    let prefix = name.hasPrefix("sms") ? "sms_" : "ema_"
    let newID = clerkID ?? prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    return Array(text.replacingCharacters(in: id, with: "\"id\": \"\(newID)\"").utf8)
}

func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-app-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Sends raw bytes to 127.0.0.1:port over a plain socket and returns what comes back
/// (until the server closes or `Connection: close` completes the response).
func rawHTTP(port: UInt16, _ request: [UInt8]) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    var offset = 0
    while offset < request.count {
        let sent = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent <= 0 { break }  // the server may stop reading early
        offset += sent
    }
    shutdown(fd, Int32(SHUT_WR))
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        response.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: response, as: UTF8.self)
}

/// A child process (the built `herald` binary) with its output collected.
final class Child: Sendable {
    let process: Process
    final class Buffer: Sendable {
        let bytes = Mutex<[UInt8]>([])
        private let ended = DispatchSemaphore(value: 0)
        var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }

        /// Reads `handle` to its end on a thread of its own, with blocking reads: no dispatch
        /// source (one still registered when its descriptor is closed and reused crashes
        /// libdispatch's event loop). The thread holds the handle, so the descriptor stays
        /// open until the child has closed its end and everything is read.
        func read(from handle: FileHandle) {
            let thread = Thread { [self] in
                let fd = handle.fileDescriptor
                var chunk = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    bytes.withLock { $0.append(contentsOf: chunk[..<count]) }
                }
                withExtendedLifetime(handle) {}
                ended.signal()
            }
            thread.name = "child-output"
            thread.start()
        }

        /// Waits until the output has ended (the child and whatever inherited its end are gone).
        func waitForEnd(seconds: Double) -> Bool {
            guard ended.wait(timeout: .now() + seconds) == .success else { return false }
            ended.signal()  // later waits return at once
            return true
        }
    }
    private let stdoutBuffer = Buffer()
    private let stderrBuffer = Buffer()

    static var binary: URL {
        // The test bundle sits beside the products, `herald` among them.
        var folder = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<3 where !FileManager.default.fileExists(atPath: folder.appendingPathComponent("herald").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("herald")
    }

    init(_ arguments: [String], environment: [String: String], directory: URL? = nil, executable: String? = nil) throws {
        process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HERALD_") && !$0.key.hasPrefix("CLERK_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        stdoutBuffer.read(from: out.fileHandleForReading)
        stderrBuffer.read(from: err.fileHandleForReading)
    }

    var stdout: String { stdoutBuffer.text }
    var stderr: String { stderrBuffer.text }

    /// Waits until `predicate` holds for the output, or the timeout passes.
    func waitFor(timeout: Double = 15, _ predicate: (Child) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(self) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return predicate(self)
    }

    func wait(timeout: Double = 30) -> Int32? {
        guard waitFor(timeout: timeout, { !$0.process.isRunning }) else { return nil }
        process.waitUntilExit()
        // The child is gone: what it wrote is in the pipes. Take all of it now.
        _ = stdoutBuffer.waitForEnd(seconds: 10)
        _ = stderrBuffer.waitForEnd(seconds: 10)
        return process.terminationStatus
    }

    /// Runs to completion: (exit code, stdout, stderr).
    static func run(_ arguments: [String], environment: [String: String], directory: URL? = nil) throws -> (Int32, String, String) {
        let child = try Child(arguments, environment: environment, directory: directory)
        let status = child.wait() ?? -1
        return (status, child.stdout, child.stderr)
    }
}
