/// The two hashes AWS Signature Version 4 needs: HMAC-SHA256 (from ``MessageAuthenticator``)
/// and SHA-256. Core holds no cryptography of its own; `HeraldCrypto`'s
/// `OpenSSLAuthenticator` implements both with libcrypto.
public protocol SigningPrimitives: MessageAuthenticator {
    /// SHA-256 of `bytes`; 32 bytes.
    func sha256(_ bytes: [UInt8]) -> [UInt8]
}
