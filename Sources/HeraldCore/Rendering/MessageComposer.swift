/// A message ready for a transport: what it says and where that came from.
public struct ComposedMessage: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// Rendered from the user's templates at `path` (locale "" is the default).
        case template(path: String, locale: String)
        /// Clerk's own rendering, sent as is, and why.
        case clerk(reason: String)
    }

    public var subject: String?
    public var html: String?
    /// The email's text part, or the SMS text.
    public var text: String?
    public var source: Source

    public init(subject: String? = nil, html: String? = nil, text: String? = nil, source: Source) {
        self.subject = subject
        self.html = html
        self.text = text
        self.source = source
    }

    /// Short description for logs and `herald show`: `template email/x (fr)` or `clerk (no_template)`.
    public var sourceDescription: String {
        switch source {
        case .template(let path, let locale): "template \(path)" + (locale.isEmpty ? "" : " (\(locale))")
        case .clerk(let reason): "clerk rendering (\(reason))"
        }
    }
}

/// Why a message has nothing to send: no usable template and no Clerk rendering either.
public struct CompositionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: String
    public var detail: String
    public var description: String { "\(code): \(detail)" }
}

/// Renders a message from the user's templates, or falls back to Clerk's rendering:
/// when there is no template for the slug, or when a template fails (a parse error
/// without a last good version, a variable it prints missing or empty, a missing
/// partial). A template never produces a message with a blank where data should be.
public struct MessageComposer: Sendable {
    public static let defaultLocalePath = "user.public_metadata.locale"

    public var templates: TemplateSet
    /// Where the locale is read from, inside the event's template variables.
    public var localePath: String

    public init(templates: TemplateSet, localePath: String = MessageComposer.defaultLocalePath) {
        self.templates = templates
        self.localePath = localePath
    }

    /// The variables templates see: the event's `data.data`, plus `message` with the
    /// message's own fields (`to`, `slug`, `channel`, `locale`, `clerk_id`).
    public func variables(channel: Channel, event: JSONValue) -> (JSONValue, String?) {
        let data = event["data"] ?? .null
        var variables: [String: JSONValue] = [:]
        if case .object(let members) = data["data"] { variables = members }
        let locale = JSONValue.object(variables).value(atPath: localePath)?.stringValue
        var message: [String: JSONValue] = ["channel": .string(channel.rawValue)]
        let recipient = channel == .email ? data["to_email_address"] : data["to_phone_number"]
        if let recipient { message["to"] = recipient }
        if let slug = data["slug"], slug != .null { message["slug"] = slug }
        if let id = data["id"] { message["clerk_id"] = id }
        if let locale { message["locale"] = .string(locale) }
        variables["message"] = .object(message)
        return (.object(variables), locale)
    }

    /// What composing needs of a stored event when a template is used: everything but
    /// Clerk's rendered bodies (`body`, `body_plain`), which only a fallback reads.
    public static let templateSelection = JSONSelection.members([
        "type": .all,
        "data": .members([
            "id": .all, "slug": .all, "to_email_address": .all, "to_phone_number": .all, "subject": .all, "message": .all,
            "from_email_name": .all, "reply_to_email_name": .all, "delivered_by_clerk": .all, "data": .all,
        ]),
    ])

    /// Composes from the raw event, parsing Clerk's bodies only when they are needed.
    public func compose(channel: Channel, payload: [UInt8]) throws(CompositionError) -> (ComposedMessage, JSONValue) {
        guard let light = try? JSONValue.parse(payload, selecting: Self.templateSelection) else {
            throw CompositionError(code: "invalid_event", detail: "the stored event is not JSON")
        }
        let composed = try compose(channel: channel, event: light, allowFallback: false)
        if let composed { return (composed, light) }
        guard let full = try? JSONValue.parse(payload) else {
            throw CompositionError(code: "invalid_event", detail: "the stored event is not JSON")
        }
        return (try compose(channel: channel, event: full), full)
    }

    public func compose(channel: Channel, event: JSONValue) throws(CompositionError) -> ComposedMessage {
        // With fallback allowed, a result always comes back.
        try compose(channel: channel, event: event, allowFallback: true)!
    }

    /// Returns nil instead of Clerk's rendering when `allowFallback` is false.
    func compose(channel: Channel, event: JSONValue, allowFallback: Bool) throws(CompositionError) -> ComposedMessage? {
        let data = event["data"] ?? .null
        let (variables, locale) = self.variables(channel: channel, event: event)
        guard let slug = data["slug"]?.stringValue,
            let resolved = templates.templates(channel: channel, slug: slug, locale: locale)
        else {
            return allowFallback ? try clerkRendering(channel: channel, data: data, reason: "no_template") : nil
        }
        // A template that leaves out html or text takes Clerk's body for it.
        if !allowFallback && channel == .email && (resolved.parts[.html] == nil || resolved.parts[.text] == nil) { return nil }
        do {
            let composed = try render(resolved, channel: channel, variables: variables, data: data)
            return composed
        } catch let error as RenderError {
            return allowFallback ? try clerkRendering(channel: channel, data: data, reason: "template_error: \(Self.describe(error))") : nil
        } catch {
            return allowFallback ? try clerkRendering(channel: channel, data: data, reason: "template_error: \(error)") : nil
        }
    }

    private func render(_ resolved: ResolvedTemplates, channel: Channel, variables: JSONValue, data: JSONValue) throws -> ComposedMessage {
        func part(_ part: TemplateSet.Part, _ escaping: Escaping) throws(RenderError) -> String? {
            guard let template = resolved.parts[part] else { return nil }
            return try template.renderStrict(variables, escaping: escaping, partials: resolved.partials)
        }
        let source = ComposedMessage.Source.template(path: resolved.folder, locale: resolved.locale)
        switch channel {
        case .sms:
            guard let text = try part(.text, .none)?.trimmingWhitespace(), !text.isEmpty else {
                throw RenderError.missingVariable("(empty SMS)")
            }
            return ComposedMessage(text: text, source: source)
        case .email:
            var subject = try part(.subject, .none) ?? data["subject"]?.stringValue
            subject = subject.map(MIMEMessage.singleLine)
            let html = try part(.html, .html) ?? (resolved.parts[.text] == nil ? data["body"]?.stringValue : nil)
            let text = try part(.text, .none) ?? (resolved.parts[.html] == nil ? data["body_plain"]?.stringValue : nil)
            guard let subject, !subject.isEmpty else { throw RenderError.missingVariable("(empty subject)") }
            guard html?.isEmpty == false || text?.isEmpty == false else { throw RenderError.missingVariable("(empty body)") }
            return ComposedMessage(subject: subject, html: html, text: text, source: source)
        }
    }

    private func clerkRendering(channel: Channel, data: JSONValue, reason: String) throws(CompositionError) -> ComposedMessage {
        switch channel {
        case .sms:
            guard let text = data["message"]?.stringValue, !text.isEmpty else {
                throw CompositionError(code: "no_content", detail: "no template and no Clerk message text (\(reason))")
            }
            return ComposedMessage(text: text, source: .clerk(reason: reason))
        case .email:
            let html = data["body"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            let text = data["body_plain"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            guard let subject = data["subject"]?.stringValue.map(MIMEMessage.singleLine), !subject.isEmpty, html != nil || text != nil else {
                throw CompositionError(code: "no_content", detail: "no template and no complete Clerk rendering (\(reason))")
            }
            return ComposedMessage(subject: subject, html: html, text: text, source: .clerk(reason: reason))
        }
    }

    static func describe(_ error: RenderError) -> String {
        switch error {
        case .missingVariable(let name): "variable '\(name)' is missing or empty"
        case .missingPartial(let name): "partial '\(name)' does not exist"
        case .tooDeep: "partials nest too deeply"
        case .tooLarge: "the output is larger than \(Template.maxOutputBytes >> 20) MiB (a partial that includes itself?)"
        }
    }
}
