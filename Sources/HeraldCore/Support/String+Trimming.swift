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

extension String {
    /// Nil for the empty string.
    public var nonEmpty: String? { isEmpty ? nil : self }
}
