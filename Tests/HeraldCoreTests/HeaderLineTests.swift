import HeraldCore
import Testing

/// Header lines as libcurl hands them to its header callback, line end included.
struct HeaderLineTests {
    @Test(arguments: [
        ("Retry-After: 3\r\n", HTTPField("Retry-After", "3")),
        ("Content-Type:application/json\r\n", HTTPField("Content-Type", "application/json")),
        ("X-Spaced: \t a b \t\r\n", HTTPField("X-Spaced", "a b")),
        ("Location: https://hooks.example.com/new?a=1:2\r\n", HTTPField("Location", "https://hooks.example.com/new?a=1:2")),
        ("Empty:\r\n", HTTPField("Empty", "")),
        ("Bare-LF: yes\n", HTTPField("Bare-LF", "yes")),
        ("Unicode: caf\u{e9}\r\n", HTTPField("Unicode", "caf\u{e9}")),
    ])
    func readsAField(_ line: String, _ expected: HTTPField) {
        #expect(Array(line.utf8).withUnsafeBytes { HeaderLine.field($0) } == expected)
    }

    @Test(arguments: ["HTTP/1.1 201 Created\r\n", "\r\n", ": no name\r\n", ""])
    func passesOverWhatIsNoField(_ line: String) {
        #expect(Array(line.utf8).withUnsafeBytes { HeaderLine.field($0) } == nil)
    }
}
