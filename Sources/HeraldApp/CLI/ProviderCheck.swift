import Foundation
import HeraldCore
import HeraldCrypto
import HeraldCurl
import HeraldProviders

/// `herald check --providers`: asks each configured provider a question that sends
/// nothing (an account, domain, sender or balance endpoint), so that a wrong key, a missing
/// permission or an unknown sender shows before the first sign-in code is lost. Prints one
/// line per provider, never a credential.
enum ProviderCheck {
    /// Returns how many providers have a problem.
    static func run(_ configuration: Configuration, output: Output) -> Int {
        let providers = configuration.providers
        var problems = 0
        for channel in [Channel.email, .sms] {
            for definition in providers.providers(for: channel).map(\.definition) {
                let label = "provider \(definition.name) (\(channel.rawValue))"
                let verdict = check(definition, providers: providers)
                switch verdict {
                case .ok(let detail): output.write("\(label): ok: \(TerminalText.escape(detail))\n")
                case .problem(let detail):
                    problems += 1
                    output.write("problem: \(label): \(TerminalText.escape(detail))\n")
                }
            }
        }
        return problems
    }

    static func check(_ definition: ProviderDefinition, providers: DeliveryProviders) -> ProbeVerdict {
        switch definition {
        case .outbox:
            let folder = providers.outboxPath
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
                return isDirectory.boolValue && FileManager.default.isWritableFile(atPath: folder)
                    ? .ok("writes to \(folder)") : .problem("\(folder) is not a writable folder")
            }
            return .ok("writes to \(folder) (created at the first message)")
        case .smtp(_, let settings):
            let probe = SMTPTransport.probe(settings)
            switch SMTPReply.classify(probe.exchange) {
            case .delivered: return .ok("\(settings) answered NOOP")
            case .failed(let failure): return .problem("\(settings): \(failure.reason): \(probe.detail)")
            }
        case .http(let adapter):
            guard var request = adapter.probe() else { return .ok("no check without sending exists for this API; the URL is valid") }
            if request.signing != nil { request = OpenSSLRequestSigner().sign(request, at: Clock.nowMilliseconds()) }
            do {
                let transport = try CurlHTTPTransport(settings: providers.http)
                return adapter.judgeProbe(transport.perform(request))
            } catch {
                return .problem("cannot set up the HTTP transport: \(error)")
            }
        }
    }
}
