private import COpenSSL
public import HeraldCore

/// HMAC-SHA256 through OpenSSL libcrypto's one-shot `HMAC(EVP_sha256(), ...)`, and SHA-256
/// (``Digest/sha256(_:)``) for AWS Signature Version 4. Stateless and thread-safe.
public struct OpenSSLAuthenticator: SigningPrimitives {
    public init() {}

    public func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Digest.sha256(bytes)
    }

    public func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    HMAC(
                        EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                        messageBuffer.baseAddress, messageBuffer.count, outBuffer.baseAddress, &length)
                }
            }
        }
        // HMAC only fails on allocation failure; an empty MAC never matches any signature.
        guard result != nil else { return [] }
        return Array(out.prefix(Int(length)))
    }
}

/// SHA-256 and random bytes from libcrypto.
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        return out
    }

    /// Cryptographically random bytes (RAND_bytes); `nil` if the generator fails.
    public static func randomBytes(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        return ok == 1 ? out : nil
    }
}
