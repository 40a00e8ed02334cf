import Foundation
public import HeraldCore
import HeraldPostgres
import HeraldSQLite

/// A store that can be closed: what `serve` and the CLI commands open.
public protocol ClosableStore: MessageStoreBackend, StoreHealthSource {
    func close()
}

extension SQLiteStore: ClosableStore {}
extension PostgresStore: ClosableStore {}

/// Opens the store `HERALD_DATABASE` names, the same way for `serve` and for every CLI
/// command: a SQLite file, or PostgreSQL (which many instances share). Errors name the
/// database without its password.
public enum StoreFactory {
    /// `mustExist` (the CLI): a SQLite file that is not there yet is an error rather than
    /// a new, empty database (a mistyped path); a PostgreSQL database always exists (the
    /// server says so when it does not), and its schema is created or migrated.
    public static func open(_ location: DatabaseLocation, logger: Logger = .disabled, mustExist: Bool = false) throws(CommandError) -> any ClosableStore {
        do {
            switch location {
            case .sqlite(let path):
                guard !mustExist || FileManager.default.fileExists(atPath: path) else {
                    throw CommandError("no database at \(path): start 'herald serve' first, or set HERALD_DATABASE")
                }
                return try SQLiteStore(path: path, logger: logger)
            case .postgres(let url):
                return try PostgresStore(url: url, logger: logger)
            }
        } catch let error as CommandError {
            throw error
        } catch let error as StoreError {
            throw CommandError("cannot open the store at \(location): \(error)\(Gateway.advice(error))")
        } catch {
            throw CommandError("cannot open the store at \(location): \(error)")
        }
    }
}
