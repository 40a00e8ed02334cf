/// Validation of recipients, so that nothing that could add a header or an SMTP command
/// ever enters the store as an address.
public enum Recipient {
    /// Accepts a practical `local@domain` address: no white space or control characters,
    /// no quoting, comments or angle brackets, a dotted domain of letters, digits and
    /// hyphens (or UTF-8 letters), at most 254 bytes.
    public static func isValidEmail(_ address: String) -> Bool {
        let utf8 = address.utf8
        guard utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty else { return false }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.containsBytes(0x2E, 0x2E) else { return false }
        for scalar in local.unicodeScalars {
            if scalar.value >= 0x80 {
                if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
                    || scalar.properties.generalCategory == .format
                {
                    return false
                }
            } else if !(isASCIIAlphanumeric(scalar) || isLocalSpecial(scalar)) {
                return false
            }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else {
                return false
            }
            for scalar in label.unicodeScalars {
                if scalar.value >= 0x80 {
                    guard scalar.properties.isAlphabetic || scalar.properties.numericType != nil else { return false }
                } else if !(isASCIIAlphanumeric(scalar) || scalar == "-") {
                    return false
                }
            }
        }
        return true
    }

    /// Accepts an E.164 number: `+`, a non-zero digit, then 6 to 14 more digits.
    public static func isValidPhone(_ number: String) -> Bool {
        let scalars = Array(number.unicodeScalars)
        guard scalars.count >= 8, scalars.count <= 16, scalars[0] == "+", scalars[1] != "0" else { return false }
        return scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) }
    }

    private static func isLocalSpecial(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~", ".": true
        default: false
        }
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
