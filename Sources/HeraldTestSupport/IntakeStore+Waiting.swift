import Foundation
public import HeraldCore
import Synchronization

extension IntakeStore {
    /// Inserts and waits for the commit (tests only: intake itself never waits).
    public func insertAndWait(_ draft: MessageDraft, webhookID: String, payload: [UInt8], at: Int64) throws(StoreError) -> InsertOutcome {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<InsertOutcome, StoreError>?>(nil)
        insert(draft, webhookID: webhookID, payload: payload, at: at) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}
