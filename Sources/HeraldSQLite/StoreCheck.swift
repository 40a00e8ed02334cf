import Foundation

/// The check of an existing store at open, so that a damaged file is refused before it
/// is served (a garbage page, a file cut short with its WAL, an empty file), and
/// `herald check`'s check of the whole file.
///
/// It is SQLite's `quick_check`: every b-tree page of the file read and its structure,
/// record formats and index order checked (not whether each index entry matches its
/// row, which `integrity_check` adds at several times the cost). Its cost is that of
/// reading the file: measured on the 2-core test machine with a store of 300,000 messages
/// (3 KB events, 1.3 GB), 1.7 s with the file in the page cache, 47 s from a cold disk.
/// So at open the whole file is checked up to ``fullCheckBytes`` (a few seconds at worst);
/// a larger store has every table and index checked except the event bodies
/// (``bulkTable``, nearly all of its bytes: 0.5 to 0.7 s for those 300,000 messages), which
/// are read when a message is delivered; `herald check` checks it all.
enum StoreCheck {
    /// Stores up to this size (database and WAL) are checked whole at open.
    static let fullCheckBytes: Int64 = 256 << 20
    /// The event bodies: checked at open only in stores up to ``fullCheckBytes``.
    static let bulkTable = "payloads"

    struct Report: Sendable {
        /// Whether every table was checked.
        var full: Bool
        /// What SQLite found, at most 20 lines; empty when the file is sound.
        var problems: [String]
        var milliseconds: Int
        /// The database file and its WAL.
        var bytes: Int64
    }

    /// Database file and WAL, in bytes.
    static func size(of path: String) -> Int64 {
        ["", "-wal"].reduce(0) { total, suffix in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Checks the store open on `connection`: all of it when `full` (nil: when it is no
    /// larger than ``fullCheckBytes``).
    static func run(_ connection: Connection, full: Bool? = nil) -> Report {
        let started = Date()
        let bytes = size(of: connection.path)
        let whole = full ?? (bytes <= fullCheckBytes)
        var problems: [String]
        do {
            if whole {
                problems = try quickCheck(connection, table: nil)
            } else {
                let tables: [String] = try connection.query(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> ? ORDER BY rootpage", [.text(bulkTable)]
                ) { row in
                    var names = ["sqlite_schema"]
                    while try row.step() { names.append(row.text(0) ?? "") }
                    return names
                }
                problems = []
                for table in tables where problems.count < 20 { problems += try quickCheck(connection, table: table) }
            }
        } catch {
            // Damage that stops the check itself (a page that is not a b-tree page, a
            // header that is not SQLite's).
            problems = ["\(error)"]
        }
        return Report(full: whole, problems: Array(problems.prefix(20)), milliseconds: Int(Date().timeIntervalSince(started) * 1000), bytes: bytes)
    }

    private static func quickCheck(_ connection: Connection, table: String?) throws -> [String] {
        let sql = table.map { "PRAGMA quick_check(\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\")" } ?? "PRAGMA quick_check(20)"
        return try connection.query(sql) { row in
            var lines: [String] = []
            while try row.step() {
                let line = row.text(0) ?? ""
                if line != "ok" { lines.append(line) }
            }
            return lines
        }
    }

    /// Why a database file that exists cannot be a store: empty (0 bytes) with no WAL that
    /// holds its pages, which SQLite would silently take for a new, empty database. Nil when
    /// it may be one.
    static func emptiness(of path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            (attributes[.size] as? NSNumber)?.int64Value == 0, size(of: path) == 0
        else { return nil }
        return "\((path as NSString).lastPathComponent) is empty (0 bytes) and has no WAL: it holds no store (a file cut short?)"
    }
}
