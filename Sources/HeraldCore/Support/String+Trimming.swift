extension String {
    /// Trims HTTP optional white space: spaces and tabs.
    func trimmingOWS() -> String {
        trimmingScalars { $0 == " " || $0 == "\t" }
    }

    /// Trims spaces, tabs and line breaks (CR, LF, and CRLF, which is one Character).
    func trimmingWhitespace() -> String {
        trimmingScalars { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    }

    private func trimmingScalars(_ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, isTrimmed(first) { scalars.removeFirst() }
        while let last = scalars.last, isTrimmed(last) { scalars.removeLast() }
        return String(scalars)
    }
}

extension StringProtocol {
    /// Whether the UTF-8 bytes hold `first` directly followed by `second`: a byte scan,
    /// where Foundation's `contains` would search through NSString.
    func containsBytes(_ first: UInt8, _ second: UInt8) -> Bool {
        var previous: UInt8?
        for byte in utf8 {
            if previous == first && byte == second { return true }
            previous = byte
        }
        return false
    }
}
