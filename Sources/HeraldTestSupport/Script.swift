import Synchronization

/// A scripted sequence shared across threads: each call takes the next item, and the last
/// one repeats for ever.
public final class Script<Item: Sendable>: Sendable {
    private let items: Mutex<[Item]>

    public init(_ items: [Item]) {
        precondition(!items.isEmpty, "a script needs at least one item")
        self.items = Mutex(items)
    }

    /// From now on, these items.
    public func replace(with items: [Item]) {
        precondition(!items.isEmpty, "a script needs at least one item")
        self.items.withLock { $0 = items }
    }

    public func next() -> Item {
        items.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
    }
}
