/// One line of an HTTP answer's header section, as libcurl hands it over (with its line
/// end), read as bytes: no Foundation, no string search per header of every answer.
public enum HeaderLine {
    /// `Name: value` as a field, the value without the spaces, tabs and line end around
    /// it (RFC 9110 5.5); nil for a line without a colon (the status line, the blank line
    /// that ends the section) or with an empty name.
    public static func field(_ line: UnsafeRawBufferPointer) -> HTTPField? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return nil }
        var start = colon + 1
        var end = line.count
        while start < end, isSpace(line[start]) { start += 1 }
        while end > start, isSpace(line[end - 1]) { end -= 1 }
        return HTTPField(
            String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self),
            String(decoding: UnsafeRawBufferPointer(rebasing: line[start..<end]), as: UTF8.self))
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}
