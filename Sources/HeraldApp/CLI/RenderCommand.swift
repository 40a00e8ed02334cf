import Foundation
import HeraldCore

/// `herald render`: shows exactly what would be sent for a slug, or renders any template.
enum RenderCommand {
    static let usage = """
        herald render email|sms SLUG [--event FILE | --data FILE] [--locale L] [--part subject|html|text] [--out FILE]
               herald render --template FILE --data FILE [--partials DIR]
        """

    static func run(_ arguments: [String], environment: [String: String], output: Output) throws {
        let parsed = try Arguments(arguments, options: ["event", "data", "locale", "part", "out", "template", "partials"], flags: [])
        if let templateFile = parsed.value("template") {
            try parsed.expectPositionals(max: 0, usage: usage)
            guard let dataFile = parsed.value("data") else { throw UsageError("--template needs --data FILE\nUsage: \(usage)") }
            try renderFile(templateFile, dataFile: dataFile, partialsFolder: parsed.value("partials"), output: output)
            return
        }
        guard parsed.positionals.count == 2, let channel = Channel(rawValue: parsed.positionals[0]) else {
            throw UsageError("Usage: \(usage)")
        }
        let slug = parsed.positionals[1]
        if parsed.value("event") != nil && parsed.value("data") != nil { throw UsageError("give --event or --data, not both") }
        let part = try parsed.value("part").map { text throws(UsageError) -> TemplateSet.Part in
            guard let part = TemplateSet.Part(rawValue: text) else { throw UsageError("--part must be subject, html or text") }
            return part
        }
        let configuration = try Configuration.load(environment: environment)
        let store = TemplateStore(root: configuration.templatesPath, localePath: configuration.localePath)
        let templates = store.reload()
        for problem in templates.problems { output.writeError("warning: \(problem)\n") }

        var event = try loadEvent(channel: channel, slug: slug, parsed: parsed)
        if let locale = parsed.value("locale") {
            event = SampleData.setVariable(event, path: configuration.localePath, value: .string(locale))
        }
        let composed: ComposedMessage
        do {
            composed = try MessageComposer(templates: templates, localePath: configuration.localePath).compose(channel: channel, event: event)
        } catch {
            throw CommandError("nothing to send: \(error.description)")
        }
        if case .clerk(let reason) = composed.source {
            output.writeError("note: Clerk's own rendering would be sent (\(reason))\n")
        }
        var text = ""
        if let part {
            let value: String?
            switch part {
            case .subject: value = composed.subject
            case .html: value = composed.html
            case .text: value = composed.text
            }
            guard let value else { throw CommandError("the message has no \(part.rawValue) part") }
            text = value
        } else {
            text += "source: \(composed.sourceDescription)\n"
            if let subject = composed.subject { text += "subject: \(subject)\n" }
            if channel == .sms, let body = composed.text {
                let length = SMSLength(body)
                text += "length: \(length.units) \(length.encoding.rawValue) units, \(length.segments) segment(s)\n"
            }
            if let body = composed.text { text += "--- text ---\n\(body)\(body.hasSuffix("\n") ? "" : "\n")" }
            if let html = composed.html { text += "--- html ---\n\(html)\(html.hasSuffix("\n") ? "" : "\n")" }
        }
        try write(text, to: parsed.value("out"), output: output)
    }

    static func loadEvent(channel: Channel, slug: String, parsed: Arguments) throws -> JSONValue {
        if let file = parsed.value("event") {
            let event = try readJSON(file)
            guard case .object(var root) = event, case .object(var data) = root["data"] else {
                throw CommandError("\(file): not a Clerk event (no \"data\" object)")
            }
            data["slug"] = .string(slug)
            root["data"] = .object(data)
            return .object(root)
        }
        var event = SampleData.event(channel: channel, slug: slug)
        if let file = parsed.value("data") {
            let variables = try readJSON(file)
            guard case .object = variables else { throw CommandError("\(file): template variables must be a JSON object") }
            if case .object(var root) = event, case .object(var data) = root["data"] {
                data["data"] = variables
                root["data"] = .object(data)
                event = .object(root)
            }
        }
        return event
    }

    static func renderFile(_ templateFile: String, dataFile: String, partialsFolder: String?, output: Output) throws {
        guard let data = FileManager.default.contents(atPath: templateFile), let source = String(validating: data, as: UTF8.self) else {
            throw CommandError("cannot read \(templateFile)")
        }
        let template: Template
        do {
            template = try Template(source)
        } catch {
            throw CommandError("\(templateFile): \(error.description)")
        }
        var partials: [String: Template] = [:]
        if let folder = partialsFolder {
            let set = TemplateStore(root: folder).reload()
            for problem in set.problems { output.writeError("warning: \(problem)\n") }
            for (path, partial) in set.files { partials[String(path.dropLast(".mustache".count))] = partial }
        }
        output.write(template.render(try readJSON(dataFile), escaping: .html, partials: PartialDictionary(partials)))
    }

    static func readJSON(_ file: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("cannot read \(file)") }
        do {
            return try JSONValue.parse([UInt8](data))
        } catch {
            throw CommandError("\(file) is not valid JSON")
        }
    }

    static func write(_ text: String, to file: String?, output: Output) throws {
        guard let file else {
            output.write(text)
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw CommandError("cannot write \(file): \(error.localizedDescription)")
        }
    }
}
