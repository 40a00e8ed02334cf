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

extension DeliveryQueue {
    /// Records an attempt and waits for the commit (tests only: the engine never waits).
    public func finishAndWait(messageID: Int64, owner: String, attempt: AttemptRecord, result: AttemptResult, at: Int64) throws(StoreError) -> Bool {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Bool, StoreError>?>(nil)
        finish(messageID: messageID, owner: owner, attempt: attempt, result: result, at: at) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}

extension IntakeStore {
    /// Counts an ignored event type and waits for the commit.
    public func countIgnoredAndWait(type: String, at: Int64) throws(StoreError) {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, StoreError>?>(nil)
        countIgnoredEvent(type: type, at: at) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0! }.get()
    }
}
