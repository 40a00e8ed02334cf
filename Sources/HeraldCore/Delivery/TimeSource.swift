import Foundation

/// Where the delivery engine and its helpers read the time (Unix milliseconds): the
/// system clock in production, a manual one in tests.
public protocol TimeSource: Sendable {
    func milliseconds() -> Int64
}

/// The system's wall clock.
public struct SystemTime: TimeSource {
    public init() {}

    public func milliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
