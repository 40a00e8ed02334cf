import Foundation
import HeraldCore
import HeraldCurl
import HeraldSQLite

/// `herald check [--relay] [--providers]`: validates the configuration and every
/// template, with `--relay` talks to the SMTP relay, with `--providers` asks every
/// configured provider a question that sends nothing; exits 1 on any problem, so it can
/// guard a deployment or CI.
enum CheckCommand {
    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: [], flags: ["relay", "providers"])
        try parsed.expectPositionals(max: 0, usage: "herald check [--relay] [--providers]")
        let configuration = try Configuration.load(environment: environment)
        output.write("configuration: ok (\(configuration.configFile ?? "embedded defaults") and environment)\n")
        if configuration.secrets.isEmpty {
            output.write("note: no HERALD_WEBHOOK_SECRET set; 'herald serve' will refuse to start without one\n")
        } else if configuration.usesDevelopmentSecret {
            output.write("note: the webhook secret is the development secret; 'herald serve' accepts it only with --dev\n")
        }
        var failures: [String] = []
        if !checkStore(configuration, output: output) { failures.append("the store is damaged") }
        if parsed.flag("relay"), !checkRelay(configuration, output: output) { failures.append("the relay check failed") }
        if parsed.flag("providers") {
            let problems = ProviderCheck.run(configuration, output: output)
            if problems > 0 { failures.append("\(problems) provider check(s) failed") }
        }
        let routeProblems = checkRoutes(configuration, output: output)
        if routeProblems > 0 { failures.append("\(routeProblems) problem(s) in the routes") }

        if let problem = configuration.templatesFolderProblem() {
            if problem.refuse {
                output.write("problem: \(problem.message)\n")
                failures.append("the templates folder is missing")
            } else {
                output.write("note: \(problem.message)\n")
            }
        } else {
            let templates = TemplateStore(root: configuration.templatesPath, localePath: configuration.localePath).reload()
            let problems = findProblems(templates, localePath: configuration.localePath)
            for problem in problems { output.write("problem: \(TerminalText.escape(problem))\n") }
            output.write("templates: \(templates.inventory.count) message template(s), \(templates.files.count) file(s) in \(configuration.templatesPath), \(problems.count) problem(s)\n")
            if !problems.isEmpty { failures.append("\(problems.count) problem(s) in \(configuration.templatesPath)") }
        }
        if !failures.isEmpty { throw CommandError(failures.joined(separator: "; ")) }
    }

    /// Checks the whole store (SQLite's quick_check, every page read), if there is one yet.
    /// False when it is damaged.
    static func checkStore(_ configuration: Configuration, output: Output) -> Bool {
        let path: String
        switch configuration.database {
        case .sqlite(let file): path = file
        case .postgres:
            // PostgreSQL checks its own pages; what can be wrong here is reaching it and its schema.
            do {
                let store = try StoreFactory.open(configuration.database, mustExist: true)
                store.close()
                output.write("store: ok (\(configuration.database), connected, schema current)\n")
                return true
            } catch {
                output.write("problem: \(TerminalText.escape(error.description))\n")
                return false
            }
        }
        guard FileManager.default.fileExists(atPath: path) else {
            output.write("note: no database at \(path) yet; 'herald serve' creates it\n")
            return true
        }
        do {
            let report = try SQLiteStore.check(path: path)
            if report.problems.isEmpty {
                output.write("store: ok (\(path), \(report.bytes / 1_048_576) MiB, quick_check in \(report.milliseconds) ms)\n")
                return true
            }
            for problem in report.problems { output.write("problem: store \(path): \(TerminalText.escape(problem))\n") }
        } catch {
            output.write("problem: store \(path): \(TerminalText.escape(error.description))\(Gateway.advice(error))\n")
        }
        return false
    }

    /// Connects to the configured relay (TLS, AUTH, NOOP; nothing is sent) and prints
    /// what it found. False when the relay is configured and the check failed.
    static func checkRelay(_ configuration: Configuration, output: Output) -> Bool {
        guard let smtp = configuration.smtp else {
            output.write("relay: none configured (HERALD_SMTP_URL); email goes to the outbox \(configuration.outboxPath)\n")
            return true
        }
        let how = (smtp.url.hasPrefix("smtps:") ? "implicit TLS" : smtp.requireTLS ? "STARTTLS" : "no TLS")
            + (smtp.username.map { ", AUTH as \($0)" } ?? "")
        let probe = SMTPTransport.probe(smtp)
        switch SMTPReply.classify(probe.exchange) {
        case .delivered:
            output.write("relay: ok (\(smtp), \(how))\n")
            return true
        case .failed(let failure):
            output.write("problem: relay \(smtp) (\(how)): \(failure.reason): \(TerminalText.escape(probe.detail))\n")
            return false
        }
    }

    static func findProblems(_ templates: TemplateSet, localePath: String) -> [String] {
        var problems = templates.problems.map { "\($0.path): \($0.message)" }
        for (path, template) in templates.files.sorted(by: { $0.key < $1.key }) {
            let locale = path.hasPrefix("email/") || path.hasPrefix("sms/") || path.hasPrefix("partials/")
                ? nil : path.split(separator: "/").first.map(String.init)
            let partials = templates.partials(locale: locale)
            for name in template.partialNames.sorted() where partials.partial(named: name) == nil {
                problems.append("\(path): partial '\(name)' does not exist (looked for partials/\(name).mustache)")
            }
            for reference in template.variableCandidates where !reference.candidates.contains(where: ClerkVariables.isKnown) {
                problems.append("\(path): variable '\(reference.name)' is not one Clerk sends (typo?)")
            }
        }
        let composer = MessageComposer(templates: templates, localePath: localePath)
        for entry in templates.inventory {
            var event = SampleData.event(channel: entry.channel, slug: entry.slug)
            if !entry.locale.isEmpty { event = SampleData.setVariable(event, path: localePath, value: .string(entry.locale)) }
            let where_ = "\(entry.locale.isEmpty ? "" : entry.locale + "/")\(entry.channel.rawValue)/\(entry.slug)"
            do {
                let composed = try composer.compose(channel: entry.channel, event: event)
                if case .clerk(let reason) = composed.source {
                    problems.append("\(where_): does not render with the sample data, Clerk's rendering would be sent (\(reason))")
                } else if entry.channel == .sms, let text = composed.text {
                    let length = SMSLength(text)
                    if length.segments > 1 {
                        problems.append("\(where_): \(length.segments) \(length.encoding.rawValue) segments (\(length.units) units) with the sample data; one segment holds \(length.encoding == .gsm7 ? 160 : 70)")
                    }
                }
            } catch {
                problems.append("\(where_): \(error.description)")
            }
        }
        return problems
    }
}
