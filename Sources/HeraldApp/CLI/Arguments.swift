/// A bad command line: told as `Error: ...` with exit code 64.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A failure while running a command: `Error: ...` with exit code 1.
public struct CommandError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A small command-line parser: positionals, `--flag`, `--option value` and
/// `--option=value`. Every option must be declared; unknown ones are usage errors.
struct Arguments {
    private(set) var positionals: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    init(_ arguments: [String], options: Set<String>, flags knownFlags: Set<String>) throws(UsageError) {
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("--") || argument == "-" {
                if argument.hasPrefix("-") && argument.count > 1 && !onlyPositionals && argument != "-" {
                    throw UsageError("unknown option '\(argument)'")
                }
                positionals.append(argument)
                continue
            }
            if argument == "--" { onlyPositionals = true; continue }
            var name = String(argument.dropFirst(2))
            var inline: String? = nil
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if knownFlags.contains(name) {
                guard inline == nil else { throw UsageError("--\(name) takes no value") }
                flags.insert(name)
            } else if options.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard index < arguments.count else { throw UsageError("--\(name) needs a value") }
                    values[name] = arguments[index]
                    index += 1
                }
            } else {
                throw UsageError("unknown option '--\(name)'")
            }
        }
    }

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    func positiveInt(_ name: String) throws(UsageError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let number = Int(text), number > 0 else { throw UsageError("--\(name) must be a positive whole number") }
        return number
    }

    func expectPositionals(max: Int, usage: String) throws(UsageError) {
        if positionals.count > max {
            throw UsageError("unexpected argument '\(positionals[max])'\nUsage: \(usage)")
        }
    }
}

/// `30d`, `36h`, `90m`, `45s`: a duration in milliseconds, in the largest unit that divides
/// it (the form ``parseDuration(_:)`` reads).
func formatDuration(_ milliseconds: Int64) -> String {
    for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000)] where milliseconds % size == 0 {
        return "\(milliseconds / size)\(unit)"
    }
    return "\(milliseconds / 1000)s"
}

/// Parses `30s`, `30m`, `2h`, `7d`, `1w` into milliseconds.
func parseDuration(_ text: String) throws(UsageError) -> Int64 {
    let units: [Character: Int64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]
    guard let unit = text.last, let factor = units[unit], let amount = Int64(text.dropLast()), amount >= 0,
        amount < Int64.max / factor
    else {
        throw UsageError("'\(text)' is not a duration (use e.g. 30m, 2h, 7d)")
    }
    return amount * factor
}
