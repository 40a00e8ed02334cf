import Foundation
import HeraldCore
import HeraldPostgres
import HeraldSQLite
import HeraldTestSupport

/// One store backend the conformance suite runs against: a fresh, empty store per call.
struct StoreBackend: CustomStringConvertible, Sendable {
    let description: String
    let open: @Sendable () throws -> OpenedStore

    /// Every backend Herald ships.
    static let all: [StoreBackend] = [sqlite, postgres]

    static let sqlite = StoreBackend(description: "sqlite") {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-store-\(UUID().uuidString)")
        let store = try SQLiteStore(path: folder.appendingPathComponent("herald.db").path)
        return OpenedStore(store: store, close: { store.close() }, reopen: { try SQLiteStore(path: store.path) })
    }

    /// A new database on the server the tests start (once per test process).
    static let postgres = StoreBackend(description: "postgres") {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let store = try PostgresStore(url: url)
        return OpenedStore(store: store, close: { store.close() }, reopen: { try PostgresStore(url: url) })
    }
}

/// A backend's store for one test, and how to close it and open the same data again.
struct OpenedStore: Sendable {
    let store: any MessageStoreBackend
    let close: @Sendable () -> Void
    let reopen: @Sendable () throws -> any MessageStoreBackend
}
