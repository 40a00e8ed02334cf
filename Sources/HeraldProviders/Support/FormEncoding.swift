/// `application/x-www-form-urlencoded` bodies, field order kept.
public enum FormEncoding {
    /// How a space is written.
    public enum Space: Sendable {
        /// `%20`: every provider reads it, and a signature covers the exact bytes anyway.
        case percent20
        /// `+`, as botocore (Python's `urlencode`) writes it: for AWS Query APIs, whose fakes
        /// (moto) re-encode the body that way before checking its signature.
        case plus
    }

    /// `name=value&...`, everything but RFC 3986's unreserved characters %-encoded.
    public static func encode(_ fields: [(String, String)], space: Space = .percent20) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 } * 3 / 2)
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            append(field.0, space: space, to: &out)
            out.append(UInt8(ascii: "="))
            append(field.1, space: space, to: &out)
        }
        return out
    }

    public static func escape(_ text: String, space: Space = .percent20) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        append(text, space: space, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func append(_ text: String, space: Space, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E:
                out.append(byte)
            case 0x20 where space == .plus:
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
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
