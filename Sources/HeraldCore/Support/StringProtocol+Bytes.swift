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
