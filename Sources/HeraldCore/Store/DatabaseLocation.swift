import Foundation

/// Where the store lives, as `HERALD_DATABASE` (or the file's `database`) names it: a file
/// path or `sqlite:PATH` for SQLite, the default; `postgres://...` or `postgresql://...`
/// for PostgreSQL, handed to libpq as written (so libpq's own environment, `PGHOST`,
/// `PGPASSWORD`, ..., fills in what the URL leaves out). Any other `scheme://` is refused
/// rather than taken for a file name. Its description never shows a password.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var problem: String
        public var description: String { problem }
    }

    public init(parsing raw: String) throws(ParseError) {
        let text = raw.trimmingWhitespace()
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            // libpq knows the schemes in lower case only.
            let scheme = lowered.hasPrefix("postgres://") ? "postgres://" : "postgresql://"
            self = .postgres(url: scheme + text.dropFirst(scheme.count))
            return
        }
        if lowered.hasPrefix("sqlite:") {
            var path = Substring(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = path.dropFirst(2) }  // sqlite:///var/lib/herald.db is the absolute path
            guard !path.isEmpty else { throw ParseError(problem: "sqlite: needs a file path, e.g. sqlite:var/herald.db") }
            self = .sqlite(path: String(path))
            return
        }
        if let scheme = Self.scheme(of: text) {
            throw ParseError(problem: """
                unsupported scheme '\(scheme)://': give a file path or sqlite:PATH for SQLite, \
                or postgres://user:password@host:5432/database for PostgreSQL
                """)
        }
        guard !text.isEmpty else { throw ParseError(problem: "empty") }
        self = .sqlite(path: text)
    }

    public var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }

    /// The path, or the URL with its password (in the user part or a `password=` option)
    /// replaced by `***`.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return Self.redacted(url)
        }
    }

    /// The passwords a URL holds, as written and percent-decoded: what must never appear in
    /// a message (libpq echoes parts of a URL it cannot parse).
    public static func passwords(in url: String) -> [String] {
        let parts = URLParts(url)
        var found: [String] = []
        for raw in [parts.password].compactMap({ $0 }) + parts.options.filter(\.isPassword).map(\.value) where !raw.isEmpty {
            found.append(raw)
            let decoded = String(decoding: SigV4.percentDecode(ArraySlice(raw.utf8)), as: UTF8.self)
            if decoded != raw { found.append(decoded) }
        }
        return found
    }

    static func redacted(_ url: String) -> String {
        let parts = URLParts(url)
        var text = parts.scheme + "://"
        if let user = parts.user {
            text += user + (parts.password == nil ? "" : ":***") + "@"
        }
        text += parts.rest
        if !parts.options.isEmpty {
            text += "?" + parts.options.map { $0.isPassword ? "\($0.key)=***" : $0.text }.joined(separator: "&")
        }
        return text
    }

    /// `scheme` when `text` starts with `scheme://` (a letter, then letters, digits, `+-.`).
    private static func scheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(scheme)
    }
}

/// A libpq URI split the way libpq splits it: `scheme://[user[:password]@]rest[?options]`,
/// the user part ending at the first `@` before any `/`.
private struct URLParts {
    struct Option {
        var text: String
        var key: Substring { text.split(separator: "=", maxSplits: 1).first ?? "" }
        var value: String { text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? "" }
        var isPassword: Bool { ["password", "sslpassword"].contains(key.lowercased()) }
    }

    var scheme = ""
    var user: String?
    var password: String?
    var rest = ""
    var options: [Option] = []

    init(_ url: String) {
        guard let separator = url.range(of: "://") else {
            rest = url
            return
        }
        scheme = String(url[..<separator.lowerBound])
        var remainder = url[separator.upperBound...]
        if let at = remainder.firstIndex(where: { $0 == "@" || $0 == "/" }), remainder[at] == "@" {
            let userinfo = remainder[..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                user = String(userinfo[..<colon])
                password = String(userinfo[userinfo.index(after: colon)...])
            } else {
                user = String(userinfo)
            }
            remainder = remainder[remainder.index(after: at)...]
        }
        if let question = remainder.firstIndex(of: "?") {
            rest = String(remainder[..<question])
            options = remainder[remainder.index(after: question)...].split(separator: "&").map { Option(text: String($0)) }
        } else {
            rest = String(remainder)
        }
    }
}
