/// The three signature headers of a webhook request, under either naming: Svix's
/// `svix-id` / `svix-timestamp` / `svix-signature`, or Standard Webhooks'
/// `webhook-id` / `webhook-timestamp` / `webhook-signature`.
public struct SignatureHeaders: Sendable, Equatable {
    public var id: String
    /// The timestamp header as received (after trimming optional white space).
    public var timestampText: String
    public var timestamp: Int64
    public var signature: String

    public init(id: String, timestampText: String, timestamp: Int64, signature: String) {
        self.id = id
        self.timestampText = timestampText
        self.timestamp = timestamp
        self.signature = signature
    }

    /// Extracts the headers. `lookup` receives lower-case names and must match
    /// case-insensitively. The `svix-*` trio is used when complete; otherwise the
    /// `webhook-*` trio; otherwise whatever is missing is reported, by the `svix-` names
    /// when any `svix-` header was sent.
    public static func extract(_ lookup: (String) -> String?) throws(SignatureError) -> SignatureHeaders {
        func trimmed(_ name: String) -> String? {
            guard let raw = lookup(name) else { return nil }
            let value = raw.trimmingOWS()
            return value.isEmpty ? nil : value
        }
        var chosen: (prefix: String, id: String?, ts: String?, sig: String?)? = nil
        for prefix in ["svix-", "webhook-"] {
            let candidate = (prefix, trimmed(prefix + "id"), trimmed(prefix + "timestamp"), trimmed(prefix + "signature"))
            if candidate.1 != nil && candidate.2 != nil && candidate.3 != nil {
                chosen = candidate
                break
            }
            if chosen == nil && (candidate.1 != nil || candidate.2 != nil || candidate.3 != nil) {
                chosen = candidate
            }
        }
        guard let chosen, let id = chosen.id, let ts = chosen.ts, let sig = chosen.sig else {
            let prefix = chosen?.prefix ?? "svix-"
            var missing: [String] = []
            if chosen?.id == nil { missing.append(prefix + "id") }
            if chosen?.ts == nil { missing.append(prefix + "timestamp") }
            if chosen?.sig == nil { missing.append(prefix + "signature") }
            throw .missingHeaders(missing)
        }
        guard ts.utf8.count <= 15, ts.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int64(ts)
        else {
            throw .malformedHeader(chosen.prefix + "timestamp")
        }
        guard id.utf8.count <= 256, id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .malformedHeader(chosen.prefix + "id")
        }
        return SignatureHeaders(id: id, timestampText: ts, timestamp: value, signature: sig)
    }

    /// The `v1` entries of the signature header, decoded. Empty tokens, tokens without a
    /// comma, other versions and values that are not strict base64 are skipped.
    public var v1Signatures: [[UInt8]] {
        signature.split(separator: " ", omittingEmptySubsequences: true).compactMap { token in
            guard let comma = token.firstIndex(of: ",") else { return nil }
            guard token[..<comma] == "v1" else { return nil }
            return Base64.decode(token[token.index(after: comma)...])
        }
    }
}
