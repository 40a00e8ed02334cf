/// Internationalised domain names in their ASCII form (RFC 5891): each label with
/// non-ASCII characters becomes `xn--` followed by its Punycode (RFC 3492), so that a
/// recipient like `ana@bücher.example` travels as `ana@xn--bcher-kva.example` through any
/// relay. Labels are lower-cased first (the mapping IDNA applies); what a label may contain
/// was checked by ``Recipient/isValidEmail(_:)``.
public enum IDNA {
    public enum ConversionError: Error, Equatable, Sendable {
        /// A label longer than 63 bytes, or a name longer than 253, once converted.
        case tooLong(String)
    }

    /// The ASCII form of `domain`; ASCII labels are kept as they are.
    public static func asciiDomain(_ domain: Substring) throws(ConversionError) -> String {
        var labels: [String] = []
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            let ascii = label.unicodeScalars.allSatisfy(\.isASCII) ? String(label) : "xn--" + punycode(label.lowercased())
            guard ascii.utf8.count <= 63 else { throw .tooLong(String(domain)) }
            labels.append(ascii)
        }
        let name = labels.joined(separator: ".")
        guard name.utf8.count <= 253 else { throw .tooLong(String(domain)) }
        return name
    }

    /// Punycode (RFC 3492 §6.3) of one label, without the `xn--` prefix.
    public static func punycode(_ label: String) -> String {
        let base = 36, tMin = 1, tMax = 26
        let input = label.unicodeScalars.map { Int($0.value) }
        var output: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = output.count
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var n = 0x80, delta = 0, bias = 72, handled = basicCount
        func digit(_ value: Int) -> UInt8 { UInt8(value < 26 ? 0x61 + value : 0x30 + value - 26) }
        while handled < input.count {
            // Scalars are at most 0x10FFFF and a label is short: no overflow is possible.
            let next = input.filter { $0 >= n }.min()!
            delta += (next - n) * (handled + 1)
            n = next
            for scalar in input {
                if scalar < n { delta += 1 }
                guard scalar == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, points: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func adapt(_ delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / 700 : delta / 2
        delta += delta / points
        var k = 0
        while delta > (36 - 1) * 26 / 2 {
            delta /= 36 - 1
            k += 36
        }
        return k + (36 - 1 + 1) * delta / (delta + 38)
    }
}
