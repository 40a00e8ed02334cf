/// The user's templates, parsed, as found under the templates folder:
///
/// ```
/// partials/NAME.mustache                shared partials and layouts ({{> NAME}}, {{< NAME}})
/// email/SLUG/subject.mustache           an email: subject, and html and/or text
/// email/SLUG/html.mustache
/// email/SLUG/text.mustache
/// sms/SLUG.mustache                     an SMS text
/// LOCALE/...                            the same layout per locale (fr, fr-CA, ...)
/// ```
///
/// Built from file contents (pure); the app reads the folder and rebuilds it on change.
public struct TemplateSet: Sendable {
    /// A file that could not be used, with why.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String
        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
        public var description: String { "\(path): \(message)" }
    }

    public enum Part: String, Sendable, CaseIterable {
        case subject, html, text
    }

    /// Templates by relative path (`email/verification_code/html.mustache`).
    public private(set) var files: [String: Template] = [:]
    public private(set) var problems: [Problem] = []

    public init() {}

    /// Parses each `(relative path, source)`. Files that do not parse are left out and
    /// reported; `fallback` (the last good set) supplies their previous version.
    public init(sources: [String: String], fallback: TemplateSet? = nil) {
        for (path, source) in sources {
            guard path.hasSuffix(".mustache") else { continue }
            do {
                files[path] = try Template(source)
            } catch {
                problems.append(Problem(path: path, message: error.description))
                if let previous = fallback?.files[path] { files[path] = previous }
            }
        }
        problems.sort { $0.path < $1.path }
    }

    /// The locale chain for `locale`: `fr-CA` gives `["fr-CA", "fr", ""]` ("" is the default).
    public static func chain(_ locale: String?) -> [String] {
        guard let locale, !locale.isEmpty, Self.isSafeLocale(locale) else { return [""] }
        var chain: [String] = []
        var current = Substring(locale)
        while true {
            chain.append(String(current))
            guard let dash = current.lastIndex(where: { $0 == "-" || $0 == "_" }) else { break }
            current = current[..<dash]
        }
        return chain + [""]
    }

    static func isSafeLocale(_ locale: String) -> Bool {
        locale.count <= 35 && locale.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    /// The templates for one message: the first locale in the chain that has the slug.
    public func templates(channel: Channel, slug: String, locale: String?) -> ResolvedTemplates? {
        guard Self.isSafeSlug(slug) else { return nil }
        for candidate in Self.chain(locale) {
            let prefix = candidate.isEmpty ? "" : candidate + "/"
            switch channel {
            case .email:
                var parts: [Part: Template] = [:]
                for part in Part.allCases {
                    if let template = files["\(prefix)email/\(slug)/\(part.rawValue).mustache"] { parts[part] = template }
                }
                guard !parts.isEmpty else { continue }
                return ResolvedTemplates(locale: candidate, folder: "\(prefix)email/\(slug)", parts: parts, partials: partials(locale: locale))
            case .sms:
                guard let template = files["\(prefix)sms/\(slug).mustache"] else { continue }
                return ResolvedTemplates(locale: candidate, folder: "\(prefix)sms/\(slug).mustache", parts: [.text: template], partials: partials(locale: locale))
            }
        }
        return nil
    }

    /// Partials for a locale: `LOCALE/partials/NAME.mustache` before `partials/NAME.mustache`.
    public func partials(locale: String?) -> LocalePartials {
        LocalePartials(files: files, chain: Self.chain(locale))
    }

    static func isSafeSlug(_ slug: String) -> Bool {
        !slug.isEmpty && slug.count <= 100
            && slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// Every (channel, slug, locale) that has templates.
    public var inventory: [(channel: Channel, slug: String, locale: String)] {
        var seen: Set<String> = []
        var result: [(Channel, String, String)] = []
        for path in files.keys.sorted() {
            var components = path.split(separator: "/").map(String.init)
            var locale = ""
            if let first = components.first, first != "email", first != "sms", first != "partials" {
                locale = first
                components.removeFirst()
            }
            guard let kind = components.first else { continue }
            if kind == "email", components.count == 3 {
                let key = "email/\(components[1])/\(locale)"
                if seen.insert(key).inserted { result.append((.email, components[1], locale)) }
            } else if kind == "sms", components.count == 2, components[1].hasSuffix(".mustache") {
                let slug = String(components[1].dropLast(".mustache".count))
                if seen.insert("sms/\(slug)/\(locale)").inserted { result.append((.sms, slug, locale)) }
            }
        }
        return result
    }
}

/// The parts found for one message, and where.
public struct ResolvedTemplates: Sendable {
    /// The locale folder used ("" for the default).
    public var locale: String
    /// Relative path of the folder (email) or file (SMS).
    public var folder: String
    public var parts: [TemplateSet.Part: Template]
    public var partials: LocalePartials
}

/// Partial lookup along a locale chain.
public struct LocalePartials: PartialProvider {
    let files: [String: Template]
    let chain: [String]

    public func partial(named name: String) -> Template? {
        guard !name.containsBytes(0x2E, 0x2E), !name.hasPrefix("/") else { return nil }  // no ".."
        for locale in chain {
            let prefix = locale.isEmpty ? "" : locale + "/"
            if let template = files["\(prefix)partials/\(name).mustache"] { return template }
        }
        return nil
    }
}
