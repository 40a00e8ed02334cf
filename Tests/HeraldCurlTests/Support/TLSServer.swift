import Foundation

/// `openssl s_server -www` on 127.0.0.1 with a self-signed certificate for 127.0.0.1 made
/// for the test (its own CA): answers `GET /` with a status page over TLS, nothing in clear.
final class TLSServer {
    let folder: URL
    let port: UInt16
    /// The certificate, to trust as a CA.
    var caFile: String { folder.appendingPathComponent("cert.pem").path }
    private let process: Process

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let key = folder.appendingPathComponent("key.pem").path
        let cert = folder.appendingPathComponent("cert.pem").path
        let make = try Self.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw POSIXError(.EINVAL) }
        let output = Pipe()
        process = try Self.run(["s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www"], stdout: output)
        // "ACCEPT 127.0.0.1:PORT" once it listens.
        var seen = ""
        let handle = output.fileHandleForReading
        while !seen.contains("\n") || !seen.contains("ACCEPT") {
            let data = handle.availableData
            guard !data.isEmpty else { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        guard let line = seen.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT ") }), let port = line.split(separator: ":").last.flatMap({ UInt16($0) })
        else {
            kill(process.processIdentifier, SIGKILL)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.port = port
    }

    /// SIGKILL: a child of the test runner starts with SIGTERM blocked.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { stop() }

    private static func run(_ arguments: [String], stdout: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") ? "/usr/bin/openssl" : "/usr/local/bin/openssl")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
