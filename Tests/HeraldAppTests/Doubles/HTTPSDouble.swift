import Foundation
import HeraldApp
import Testing

/// An HTTPS endpoint with a certificate of its own (Fixtures/https_double.py): Twilio's
/// answer to every POST, for a provider behind a private CA.
final class HTTPSDouble {
    let folder: URL
    let child: Child
    let port: Int
    /// The certificate to trust.
    let caFile: String

    init() throws {
        folder = try temporaryFolder().appendingPathComponent("https")
        let script = try #require(Bundle.module.url(forResource: "Fixtures/https_double", withExtension: "py"))
        child = try Child.python([script.path, folder.path])
        guard child.waitFor({ $0.stdout.contains("PORT ") || !$0.process.isRunning }) else { throw CommandError("the HTTPS double did not start: \(child.stderr)") }
        let lines = child.stdout.split(separator: "\n")
        guard let port = lines.first(where: { $0.hasPrefix("PORT ") }).flatMap({ Int($0.dropFirst(5)) }),
            let ca = lines.first(where: { $0.hasPrefix("CA ") }).map({ String($0.dropFirst(3)) })
        else { throw CommandError("the HTTPS double did not say where it listens: \(child.stdout)") }
        self.port = port
        caFile = ca
    }

    deinit { child.process.terminate() }

    /// Requests that came through TLS.
    var requests: Int { (try? String(contentsOf: folder.appendingPathComponent("requests"), encoding: .utf8)).flatMap { Int($0) } ?? 0 }

    /// `HERALD_SMS_URL` for Twilio at this endpoint.
    var twilioURL: String {
        "twilio://\(TwilioDouble.accountSID):\(TwilioDouble.authToken)@default?from=%2B15550001111&endpoint=https://127.0.0.1:\(port)"
    }
}
