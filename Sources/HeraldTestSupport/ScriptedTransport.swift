import Foundation
public import HeraldCore
import Synchronization

/// Answers each send with the next scripted outcome (then the last one forever), and
/// records what it was given.
public final class ScriptedTransport: MessageSender, @unchecked Sendable {
    // Only touched under `state`'s lock.
    public final class Script: Sendable {
        fileprivate let state: Mutex<(outcomes: [DeliveryOutcome], sent: [OutgoingMessage])>
        /// How long each send takes (a slow relay), in seconds.
        public let delay: Double
        public init(_ outcomes: [DeliveryOutcome], delay: Double = 0) {
            state = Mutex((outcomes, []))
            self.delay = delay
        }
        public var sent: [OutgoingMessage] { state.withLock { $0.sent } }
    }

    public let name = "scripted"
    public let script: Script
    public init(_ script: Script) { self.script = script }

    public func send(_ message: OutgoingMessage, context: SendContext) -> DeliveryOutcome {
        if script.delay > 0 { Thread.sleep(forTimeInterval: script.delay) }
        return script.state.withLock { state in
            state.sent.append(message)
            return state.outcomes.count > 1 ? state.outcomes.removeFirst() : state.outcomes[0]
        }
    }
}
