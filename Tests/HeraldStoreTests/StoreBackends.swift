import Foundation
import HeraldCore
import HeraldSQLite

/// One store backend the conformance suite runs against: a fresh, empty store per call.
struct StoreBackend: CustomStringConvertible, Sendable {
    let description: String
    let open: @Sendable () throws -> OpenedStore

    /// Every backend Herald ships. PostgreSQL joins here.
    static let all: [StoreBackend] = [sqlite]

    static let sqlite = StoreBackend(description: "sqlite") {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-store-\(UUID().uuidString)")
        let store = try SQLiteStore(path: folder.appendingPathComponent("herald.db").path)
        return OpenedStore(store: store, close: { store.close() }, reopen: { try SQLiteStore(path: store.path) })
    }
}

/// A backend's store for one test, and how to close it and open the same data again.
struct OpenedStore: Sendable {
    let store: any MessageStoreBackend
    let close: @Sendable () -> Void
    let reopen: @Sendable () throws -> any MessageStoreBackend
}
