/// Text out of the small XML answers some APIs give (AWS Query APIs: SNS replies and errors),
/// without an XML parser: the text of the first `<Tag>…</Tag>` element, optionally inside a
/// given parent, with entities and CDATA decoded. It never fetches anything (no DTDs, no
/// external entities) and only searches forwards, so a hostile body costs linear time.
///
///     XMLText.value("MessageId", inside: "PublishResult", in: body)
public enum XMLText {
    /// The decoded text of the first element named `tag` (within the first `parent` element,
    /// when given) whose content is text: nil when there is none, when the first one holds
    /// child elements, or when its text is not well-formed (a bare `<` or `&`).
    public static func value(_ tag: String, inside parent: String? = nil, in text: String) -> String? {
        var scope = Substring(text)
        if let parent {
            guard let content = content(of: parent, in: scope) else { return nil }
            scope = content
        }
        guard let content = content(of: tag, in: scope) else { return nil }
        return decode(content)
    }

    /// The raw content of the first element named `tag` in `text`: what lies between its
    /// start tag (which may carry attributes) and the first end tag of that name; empty for
    /// `<tag/>`.
    static func content(of tag: String, in text: Substring) -> Substring? {
        guard !tag.isEmpty, tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.:".contains($0)) }) else { return nil }
        var rest = text
        while let open = rest.firstRange(of: "<" + tag) {
            let after = rest[open.upperBound...]
            guard let next = after.first else { return nil }
            if next == ">" || next == "/" || next == " " || next == "\t" || next == "\r" || next == "\n" {
                guard let close = after.firstIndex(of: ">") else { return nil }
                if after[..<close].hasSuffix("/") { return after[close..<close] }
                let body = after[after.index(after: close)...]
                guard let end = endTag(tag, in: body) else { return nil }
                return body[..<end]
            }
            rest = after  // a longer name with the same start (`<CodeX>`): keep looking
        }
        return nil
    }

    /// Where the first `</tag>` (or `</tag >`) in `text` starts.
    private static func endTag(_ tag: String, in text: Substring) -> Substring.Index? {
        var rest = text
        while let end = rest.firstRange(of: "</" + tag) {
            let after = rest[end.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
            if after.first == ">" { return end.lowerBound }
            rest = rest[end.upperBound...]
        }
        return nil
    }

    /// Character data with CDATA sections kept literally and the five predefined entities and
    /// numeric character references decoded; nil if it holds markup or a malformed reference.
    static func decode(_ content: Substring) -> String? {
        var out = ""
        var rest = content
        while let index = rest.firstIndex(where: { $0 == "<" || $0 == "&" }) {
            out += rest[..<index]
            rest = rest[index...]
            if rest.hasPrefix("<![CDATA[") {
                let inner = rest.dropFirst(9)
                guard let end = inner.firstRange(of: "]]>") else { return nil }
                out += inner[..<end.lowerBound]
                rest = inner[end.upperBound...]
            } else if rest.hasPrefix("<") {
                return nil  // a child element: not a text element
            } else {
                guard let semicolon = rest.prefix(12).firstIndex(of: ";"),
                    let character = entity(rest[rest.index(after: rest.startIndex)..<semicolon])
                else { return nil }
                out.append(character)
                rest = rest[rest.index(after: semicolon)...]
            }
        }
        return out + rest
    }

    private static func entity(_ name: Substring) -> Character? {
        switch name {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard name.hasPrefix("#") else { return nil }
            let hex = name.dropFirst().first == "x"
            let digits = name.dropFirst(hex ? 2 : 1)
            guard (1...8).contains(digits.count), digits.allSatisfy({ $0.isASCII && (hex ? $0.isHexDigit : $0.isNumber) }) else { return nil }
            let value = UInt32(digits, radix: hex ? 16 : 10)
            // XML 1.0 Char: tab, newline, carriage return and U+0020 upwards, no surrogates.
            guard let value, value == 0x9 || value == 0xA || value == 0xD || value >= 0x20, let scalar = Unicode.Scalar(value) else {
                return nil
            }
            return Character(scalar)
        }
    }
}
