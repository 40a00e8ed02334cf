import Foundation
import HeraldApp
import HeraldCore
import HeraldSQLite
import Synchronization
import Testing

/// What the operator's commands print from stored data a signed event chose.
@Suite struct CLIOutputTests {
    /// A signed email.created whose recipient is `recipient` (invalid, so stored raw as failed).
    static func event(recipient: String) throws -> [UInt8] {
        guard case .object(var root) = try JSONValue.parse(try freshFixture("email.created")), case .object(var data) = root["data"] else {
            throw CommandError("fixture is not an object")
        }
        data["to_email_address"] = .string(recipient)
        data["id"] = .string("ema_\(UUID().uuidString.prefix(8))")
        root["data"] = .object(data)
        return Array(JSONValue.object(root).serialized().utf8)
    }

    /// Runs the CLI in-process, as on a terminal when `terminal`.
    static func run(_ arguments: [String], database: String, terminal: Bool) -> (Int32, String) {
        let printed = Mutex("")
        let output = Output(write: { text in printed.withLock { $0 += text } }, writeError: { _ in }, isTerminal: terminal)
        let status = CLI.run(arguments: arguments, environment: ["HERALD_DATABASE": database], output: output)
        return (status, printed.withLock { $0 })
    }

    /// Every byte below 0x20 (and DEL) in `text`, other than the line ends and, in TSV, the
    /// column separators.
    static func controls(_ text: String, allowingTabs: Bool) -> [UInt8] {
        text.utf8.filter { ($0 < 0x20 || $0 == 0x7F) && $0 != 0x0A && !(allowingTabs && $0 == 0x09) }
    }

    @Test func controlCharactersInARecipientAreEscapedInLogAndShow() throws {
        let gateway = try Gateway()
        // Retitles the terminal, rings, returns to the line's start, forges a TSV row, moves on.
        let hostile = "x\u{1B}]0;owned\u{07}\r\n99\t2026-01-01\temail\tforged\t\u{9B}2J\u{202E}@example.com"
        let body = try Self.event(recipient: hostile)
        let (status, json) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_hostile", body: body))
        #expect(status == 200 && json?["status"] == .string("failed"))
        #expect(try gateway.store().message("msg_hostile")?.recipient == hostile)

        let environment = ["HERALD_DATABASE": gateway.databasePath]
        let (logged, tsv, _) = try Child.run(["log"], environment: environment, directory: gateway.folder)
        #expect(logged == 0)
        #expect(Self.controls(tsv, allowingTabs: true).isEmpty)
        #expect(tsv.split(separator: "\n").count == 2)  // the header and one row, no forged one
        #expect(tsv.split(separator: "\n").last?.split(separator: "\t", omittingEmptySubsequences: false).count == 8)
        #expect(tsv.contains(#"x\e]0;owned\a\r\n99\t2026-01-01\temail\tforged\t\x9b2J\u{202e}@example.com"#))

        let (shown, text, _) = try Child.run(["show", "msg_hostile"], environment: environment, directory: gateway.folder)
        #expect(shown == 0)
        #expect(Self.controls(text, allowingTabs: false).isEmpty)
        #expect(!text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0 == "\u{202E}" })
        #expect(text.contains(#"x\e]0;owned\a"#))

        let (tabled, table) = Self.run(["log"], database: gateway.databasePath, terminal: true)
        #expect(tabled == 0)
        #expect(Self.controls(table, allowingTabs: false).isEmpty)
        #expect(table.split(separator: "\n").count == 2)

        // JSON stays JSON: the recipient comes back whole.
        let (_, lines, _) = try Child.run(["log", "--json"], environment: environment, directory: gateway.folder)
        #expect(try JSONValue.parse(Array(lines.utf8))["to"] == .string(hostile))
    }

    @Test func aNULInsideARecipientIsStoredWhole() throws {
        let gateway = try Gateway()
        let body = try Self.event(recipient: "a\u{0}@example.com")
        let (status, _) = try gateway.post(body, headers: gateway.signedHeaders(id: "msg_nul", body: body))
        #expect(status == 200)
        #expect(try gateway.store().message("msg_nul")?.recipient == "a\u{0}@example.com")
        let (_, line, _) = try Child.run(["log", "--json"], environment: ["HERALD_DATABASE": gateway.databasePath], directory: gateway.folder)
        #expect(line.contains(#""to":"a\u0000@example.com""#))
        let (_, tsv, _) = try Child.run(["log"], environment: ["HERALD_DATABASE": gateway.databasePath], directory: gateway.folder)
        #expect(tsv.contains(#"a\0@example.com"#))
    }
}
