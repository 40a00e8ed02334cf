/// AWS Signature Version 4 for one HTTP request, step for step as botocore's `SigV4Auth`
/// computes it (providers.md §5.1). Pure: the time and the hash functions are parameters,
/// and nothing here reads a clock or the environment.
///
/// The steps are internal functions so the tests can check each against the published
/// vectors: ``amzDate(_:)``, ``canonicalURI(_:)``, ``canonicalQuery(_:)``,
/// ``canonicalHeaders(_:)``, ``canonicalRequest(method:path:query:headers:payloadHash:)``,
/// ``stringToSign(amzDate:scope:canonicalRequest:primitives:)`` and
/// ``signingKey(secret:date:region:service:primitives:)``.
public enum SigV4 {
    public typealias Header = (name: String, value: String)

    static let algorithm = "AWS4-HMAC-SHA256"

    /// Hop-by-hop headers and the ones a proxy or SDK may rewrite: botocore's
    /// `SIGNED_HEADERS_BLACKLIST`, exact names, lowercase.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Signs a request and returns the headers to add to it, in this order: `X-Amz-Date`,
    /// `X-Amz-Security-Token` when the credentials carry a session token, and `Authorization`.
    ///
    /// - Parameters:
    ///   - method: the HTTP method, such as `POST`.
    ///   - host: the `Host` header the client will send (`email.eu-west-1.amazonaws.com`, or
    ///     `127.0.0.1:4566` with a port); used when `headers` has no `Host` of its own.
    ///   - path: the path exactly as sent, already percent-encoded (`/v2/email/outbound-emails`);
    ///     empty means `/`. Like botocore, the signer encodes it once more (`%40` is signed as
    ///     `%2540`), which is what every AWS service but S3 expects.
    ///   - query: the query as sent, without `?`; empty for none. Each key and value is decoded
    ///     and re-encoded per RFC 3986, so an already canonical query is signed unchanged. A `+`
    ///     is a literal plus: encode spaces as `%20`.
    ///   - headers: the headers that will be sent. All are signed except hop-by-hop ones and
    ///     `User-Agent`; pass `Content-Type`. An `Authorization` or `X-Amz-Date` among them
    ///     (and `X-Amz-Security-Token` when the credentials have a token) is ignored: the
    ///     returned value replaces it, so do not send it. A `X-Amz-Content-Sha256` given here
    ///     is taken as the payload hash, as botocore does.
    ///   - body: the exact bytes sent.
    ///   - milliseconds: the signing time, Unix milliseconds; only whole seconds count.
    public static func sign(
        method: String, host: String, path: String, query: String, headers: [Header], body: [UInt8],
        credentials: AWSCredentials, region: String, service: String, at milliseconds: Int64,
        primitives: some SigningPrimitives
    ) -> [Header] {
        let amzDate = amzDate(milliseconds)
        let date = String(amzDate.prefix(8))
        var added: [Header] = [("X-Amz-Date", amzDate)]
        var replaced: Set<String> = ["authorization", "x-amz-date"]
        if let token = credentials.sessionToken {
            added.append(("X-Amz-Security-Token", token))
            replaced.insert("x-amz-security-token")
        }
        var signed = headers.filter { !replaced.contains($0.name.lowercased()) }
        if !signed.contains(where: { $0.name.lowercased() == "host" }) { signed.append(("host", host)) }
        signed += added

        let canonical = canonicalRequest(
            method: method, path: path, query: query, headers: signed,
            payloadHash: payloadHash(headers: signed, body: body, primitives: primitives))
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let text = stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical, primitives: primitives)
        let key = signingKey(
            secret: credentials.secretAccessKey, date: date, region: region, service: service, primitives: primitives)
        let signature = hex(primitives.hmacSHA256(key: key, message: Array(text.utf8)))
        added.append((
            "Authorization",
            "\(algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
                + "SignedHeaders=\(canonicalHeaders(signed).signed), Signature=\(signature)"
        ))
        return added
    }

    // MARK: - The steps

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, computed without a calendar: `20150830T123600Z`.
    static func amzDate(_ milliseconds: Int64) -> String {
        let time = UTCTime(milliseconds: milliseconds)
        return "\(UTCTime.padded(time.year, 4))\(UTCTime.padded(time.month))\(UTCTime.padded(time.day))T"
            + "\(UTCTime.padded(time.hour))\(UTCTime.padded(time.minute))\(UTCTime.padded(time.second))Z"
    }

    /// The canonical URI, as botocore builds it: dot segments and empty segments removed
    /// (RFC 3986 §5.2.4, plus AWS's collapsing of `//`), then every byte outside the
    /// unreserved set and `/` percent-encoded (Python's `quote(path, safe='/~')`).
    static func canonicalURI(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/") where segment != "." {
            if segment == ".." {
                _ = output.popLast()
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return percentEncode(Array((first + output.joined(separator: "/") + last).utf8), keepingSlash: true)
    }

    /// The canonical query: each `key=value` pair decoded and re-encoded per RFC 3986 (a bare
    /// `key` becomes `key=`), sorted by encoded key then encoded value, joined with `&`.
    /// Empty pairs (`a=1&&b=2`) are dropped.
    static func canonicalQuery(_ query: String) -> String {
        var pairs: [(key: String, value: String)] = []
        for part in query.utf8.split(separator: UInt8(ascii: "&")) {
            let key: ArraySlice<UInt8>
            let value: ArraySlice<UInt8>
            let bytes = ArraySlice(part)
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                key = bytes[..<equals]
                value = bytes[(equals + 1)...]
            } else {
                key = bytes
                value = []
            }
            pairs.append((
                percentEncode(percentDecode(key), keepingSlash: false),
                percentEncode(percentDecode(value), keepingSlash: false)
            ))
        }
        pairs.sort { ($0.key, $0.value) < ($1.key, $1.value) }
        return pairs.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// The canonical header block and the signed-header list. Names are lowercased; values
    /// lose leading and trailing white space and each inner run becomes one space (Python's
    /// `' '.join(value.split())`); a repeated header's values join with `,` in the order
    /// given; names sort bytewise. Hop-by-hop headers and `User-Agent` are left out.
    /// `lines` has one `name:value\n` per header, so it ends with a line break.
    static func canonicalHeaders(_ headers: [Header]) -> (lines: String, signed: String) {
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            guard !unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(trimAll(header.value))
        }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var lines = ""
        for name in names {
            lines += "\(name):\(values[name, default: []].joined(separator: ","))\n"
        }
        return (lines, names.joined(separator: ";"))
    }

    /// The six lines of the canonical request, joined with `\n`. `headers` are the headers
    /// to sign, `Host` and `X-Amz-Date` among them.
    static func canonicalRequest(
        method: String, path: String, query: String, headers: [Header], payloadHash: String
    ) -> String {
        let (lines, signed) = canonicalHeaders(headers)
        return [method.uppercased(), canonicalURI(path), canonicalQuery(query), lines, signed, payloadHash]
            .joined(separator: "\n")
    }

    /// The payload hash: a `X-Amz-Content-Sha256` header's value if there is one (as botocore
    /// does), otherwise the lowercase hex SHA-256 of the exact body bytes.
    static func payloadHash(headers: [Header], body: [UInt8], primitives: some SigningPrimitives) -> String {
        if let given = headers.first(where: { $0.name.lowercased() == "x-amz-content-sha256" }) {
            return given.value
        }
        return hex(primitives.sha256(body))
    }

    /// `AWS4-HMAC-SHA256`, the time, the scope and the hex SHA-256 of the canonical request.
    static func stringToSign(
        amzDate: String, scope: String, canonicalRequest: String, primitives: some SigningPrimitives
    ) -> String {
        [algorithm, amzDate, scope, hex(primitives.sha256(Array(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    /// HMAC chain from `AWS4` + secret through the date (`yyyyMMdd`), region, service and
    /// `aws4_request`. It depends only on the day, so a caller may cache it.
    static func signingKey(
        secret: String, date: String, region: String, service: String, primitives: some SigningPrimitives
    ) -> [UInt8] {
        var key = Array(("AWS4" + secret).utf8)
        for part in [date, region, service, "aws4_request"] {
            key = primitives.hmacSHA256(key: key, message: Array(part.utf8))
        }
        return key
    }

    // MARK: - Encoding

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Keeps `A-Z a-z 0-9 - _ . ~` (and `/` when asked); every other byte becomes `%XX`.
    static func percentEncode(_ bytes: [UInt8], keepingSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Python's `' '.join(value.split())`: split on white space (Unicode's, plus the ASCII
    /// separators U+001C...U+001F that Python also counts), drop empty pieces, join with one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { character in
            character.isWhitespace
                || character.unicodeScalars.allSatisfy { (0x1C...0x1F).contains($0.value) }
        }).joined(separator: " ")
    }
}
