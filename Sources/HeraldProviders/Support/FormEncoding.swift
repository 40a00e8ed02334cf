/// `application/x-www-form-urlencoded` bodies, field order kept.
public enum FormEncoding {
    /// `name=value&...`, everything but RFC 3986's unreserved characters %-encoded (a space
    /// as `%20`: every provider reads it, and a signature covers the exact bytes anyway).
    public static func encode(_ fields: [(String, String)]) -> [UInt8] {
        Array(fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&").utf8)
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// Parses a form body (for test doubles and checks): `+` as space, %-escapes decoded.
    public static func decode(_ body: [UInt8]) -> [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String {
                String(text.replacingOccurrences(of: "+", with: " ")).removingPercentEncodingOrSelf
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}

import Foundation

extension String {
    fileprivate var removingPercentEncodingOrSelf: String { removingPercentEncoding ?? self }
}
