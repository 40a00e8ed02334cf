/// Computes HMAC-SHA256. Core holds no cryptography of its own; the adapter
/// (`HeraldCrypto`) implements this with OpenSSL, and tests may pass another.
public protocol MessageAuthenticator: Sendable {
    /// HMAC-SHA256 of `message` under `key`; 32 bytes.
    func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8]
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices {
        difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
}
