import Foundation
import HeraldTestSupport

/// The store an end-to-end test runs against: a new SQLite file, or a new database on the
/// PostgreSQL server the tests start.
enum TestBackend: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    var description: String { rawValue }

    /// `HERALD_DATABASE` for a new, empty store (a SQLite file goes in `folder`).
    func database(in folder: URL) throws -> String {
        switch self {
        case .sqlite:
            return folder.appendingPathComponent("var/herald.db").path
        case .postgres:
            let server = try PostgresServer.shared()
            return server.url(database: try server.createDatabase())
        }
    }

    /// The database a URL from ``database(in:)`` names.
    static func postgresDatabase(of url: String) -> String? {
        guard let start = url.range(of: "@/"), let end = url.range(of: "?", range: start.upperBound..<url.endIndex) else { return nil }
        return String(url[start.upperBound..<end.lowerBound])
    }
}
