import Foundation
public import HeraldCore
import Synchronization

/// The templates folder, loaded into a ``TemplateSet`` and kept current: at most once per
/// `checkInterval` it looks at the files' sizes and times, and reloads when anything
/// changed. A file that no longer parses keeps its last good version in use; the problem
/// is logged (once per change) and listed by `herald check`.
public final class TemplateStore: Sendable {
    private struct State {
        var set = TemplateSet()
        var signature: [String: String] = [:]
        var checkedAt: Date = .distantPast
    }

    public let root: String
    public let localePath: String
    private let checkInterval: Double
    private let logger: Logger
    private let state = Mutex(State())

    public init(root: String, localePath: String = MessageComposer.defaultLocalePath, checkInterval: Double = 1, logger: Logger = .disabled) {
        self.root = root
        self.localePath = localePath
        self.checkInterval = checkInterval
        self.logger = logger
    }

    /// The current templates (reloaded first if the folder changed).
    public func current() -> TemplateSet {
        state.withLock { state in
            let now = Date()
            if now.timeIntervalSince(state.checkedAt) >= checkInterval {
                state.checkedAt = now
                reloadIfChanged(&state)
            }
            return state.set
        }
    }

    /// A composer over the current templates.
    public func composer() -> MessageComposer {
        MessageComposer(templates: current(), localePath: localePath)
    }

    /// Reloads now, whatever the interval.
    @discardableResult
    public func reload() -> TemplateSet {
        state.withLock { state in
            state.checkedAt = Date()
            reloadIfChanged(&state)
            return state.set
        }
    }

    private func reloadIfChanged(_ state: inout State) {
        let signature = Self.signature(root)
        guard signature != state.signature else { return }
        let isFirstLoad = state.signature.isEmpty && state.set.files.isEmpty
        state.signature = signature
        var sources: [String: String] = [:]
        for path in signature.keys {
            guard let data = FileManager.default.contents(atPath: root + "/" + path) else { continue }
            guard let text = String(validating: data, as: UTF8.self) else {
                sources[path] = nil
                logger.error("template is not UTF-8", ["template.path": path])
                continue
            }
            sources[path] = text
        }
        let previous = state.set
        let next = TemplateSet(sources: sources, fallback: previous)
        for problem in next.problems {
            let keptPrevious = previous.files[problem.path] != nil
            logger.error(
                keptPrevious ? "template broken, last good version kept" : "template broken, not used",
                ["template.path": problem.path, "error": problem.message])
        }
        state.set = next
        if !isFirstLoad {
            logger.notice("templates reloaded", ["templates.count": String(next.files.count), "problems": String(next.problems.count)])
        }
    }

    /// Relative path -> "size:mtime" of every `.mustache` file under `root`.
    static func signature(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return result }
        while let path = enumerator.nextObject() as? String {
            guard path.hasSuffix(".mustache") else { continue }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + path) else { continue }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            result[path] = "\(size):\(modified)"
        }
        return result
    }
}
