import Foundation
import HeraldCore
import Testing

func fixture(_ name: String) throws -> [UInt8] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
    return [UInt8](try Data(contentsOf: url))
}

func mutated(_ name: String, _ change: (inout [String: JSONValue]) -> Void) throws -> [UInt8] {
    guard case .object(var root) = try JSONValue.parse(try fixture(name)),
        case .object(var data) = root["data"]
    else { throw JSONValue.ParseError() }
    change(&data)
    root["data"] = .object(data)
    return Array(JSONValue.object(root).serialized().utf8)
}

@Suite struct ClerkEventTests {
    @Test func sampleEmailEventIsQueued() throws {
        let decision = ClerkEvent.decide(body: try fixture("email.created"))
        #expect(decision == .record(MessageDraft(
            eventType: "email.created", channel: .email, clerkID: "ema_3Fq8ZtK9wQ4sVb6NcX2yLm0PaJr",
            slug: "verification_code", recipient: "user@example.com", status: .queued,
            subject: "482913 is your verification code", occurredAt: 1_787_303_700_123)))
    }

    @Test func sampleSMSEventIsQueued() throws {
        let decision = ClerkEvent.decide(body: try fixture("sms.created"))
        #expect(decision == .record(MessageDraft(
            eventType: "sms.created", channel: .sms, clerkID: "sms_3Fq90aB4cD6eF8gH0iJ2kL4mN6o",
            slug: "verification_code", recipient: "+15555550123", status: .queued, occurredAt: 1_787_303_761_456)))
    }

    @Test(arguments: [
        (Int64(1_787_303_700_123), Int64?.some(1_787_303_700_123)),  // milliseconds, as Clerk documents
        (1_716_883_200, 1_716_883_200_000),  // seconds, as Clerk's API examples show
        (0, nil), (-5, nil),
    ])
    func clerksTimestampInMillisecondsWhateverTheUnit(_ stamp: Int64, _ expected: Int64?) throws {
        #expect(ClerkEvent.eventTime(stamp) == expected)
        guard case .object(var root) = try JSONValue.parse(try fixture("email.created")) else { return }
        root["timestamp"] = .int(stamp)
        guard case .record(let draft) = ClerkEvent.decide(body: Array(JSONValue.object(root).serialized().utf8)) else {
            Issue.record("not recorded")
            return
        }
        #expect(draft.occurredAt == expected)
        root["timestamp"] = .string("yesterday")
        guard case .record(let other) = ClerkEvent.decide(body: Array(JSONValue.object(root).serialized().utf8)) else { return }
        #expect(other.occurredAt == nil && other.status == .queued)
    }

    @Test func deliveredByClerkIsSkipped() throws {
        let body = try mutated("email.created") { $0["delivered_by_clerk"] = .bool(true) }
        guard case .record(let draft) = ClerkEvent.decide(body: body) else { Issue.record("not recorded"); return }
        #expect(draft.status == .skipped)
        #expect(draft.reason == "delivered_by_clerk")
    }

    @Test(arguments: [
        ("to_email_address", JSONValue.null, UnusableReason.missingRecipient),
        ("to_email_address", .string(""), .missingRecipient),
        ("to_email_address", .string("user@example.com\r\nBcc: x@evil.test"), .invalidEmailAddress),
        ("to_email_address", .string("<user@example.com>"), .invalidEmailAddress),
        ("to_email_address", .string("no-at-sign.example.com"), .invalidEmailAddress),
        ("to_email_address", .int(5), .missingRecipient),
    ])
    func unusableEmails(_ key: String, _ value: JSONValue, _ reason: UnusableReason) throws {
        let body = try mutated("email.created") { $0[key] = value }
        guard case .record(let draft) = ClerkEvent.decide(body: body) else { Issue.record("not recorded"); return }
        #expect(draft.status == .failed)
        #expect(draft.reason == reason.rawValue)
    }

    @Test(arguments: ["5555550123", "+0123456789", "+1 555 555 0123", "+1555\n5550123", "+12"])
    func invalidPhoneNumbers(_ number: String) throws {
        let body = try mutated("sms.created") { $0["to_phone_number"] = .string(number) }
        guard case .record(let draft) = ClerkEvent.decide(body: body) else { Issue.record("not recorded"); return }
        #expect(draft.reason == UnusableReason.invalidPhoneNumber.rawValue)
    }

    @Test func garbageAndOtherTypes() {
        #expect(ClerkEvent.decide(body: Array("not json".utf8))
            == .record(MessageDraft(eventType: "unknown", channel: nil, status: .failed, reason: "invalid_json")))
        #expect(ClerkEvent.decide(body: Array("[1,2]".utf8))
            == .record(MessageDraft(eventType: "unknown", channel: nil, status: .failed, reason: "not_an_event")))
        #expect(ClerkEvent.decide(body: Array(#"{"type":"user.created","data":{}}"#.utf8)) == .ignore(eventType: "user.created"))
        #expect(ClerkEvent.decide(body: Array(#"{"type":"email.created"}"#.utf8))
            == .record(MessageDraft(eventType: "email.created", channel: .email, status: .failed, reason: "missing_data")))
    }

    @Test(arguments: [
        ("user@example.com", true), ("first.last+tag@sub.example.co.uk", true), ("josé@exämple.com", true),
        ("user@localhost", false), ("user@@example.com", false), (".user@example.com", false),
        ("us er@example.com", false), ("user@exa_mple.com", false), ("user@-example.com", false),
        ("\"quoted\"@example.com", false), ("user@example.com\n", false),
    ])
    func emailValidation(_ address: String, _ valid: Bool) {
        #expect(Recipient.isValidEmail(address) == valid)
    }

    @Test func jsonValueRoundTrip() throws {
        let value = try JSONValue.parse(Array(#"{"a":[1,2.5,true,null,"x\n\u2028"],"b":{"c":"d"}}"#.utf8))
        #expect(value.value(atPath: "b.c") == .string("d"))
        #expect(try JSONValue.parse(Array(value.serialized().utf8)) == value)
        #expect(value["a"] == .array([.int(1), .double(2.5), .bool(true), .null, .string("x\n\u{2028}")]))
    }
}

@Suite struct JSONParserTests {
    @Test(arguments: [
        #"{"a":1}"#, #"[]"#, #"{}"#, #" [1, -2, 3.5e2, "x", true, false, null] "#, #""\ud83d\ude00""#, #""\u00e9\n\t\/""#,
        #"0"#, #"-0.5"#, #"{"nested":{"deeper":[{"k":"v"}]}}"#, "\"caf\u{E9}\"",
    ])
    func accepts(_ text: String) throws {
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(try JSONValue.parse(Array(value.serialized().utf8)) == value)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", #"{"a":1,}"#, "01", "1.", ".5", "+1", "1e", "tru", "nul", #"{"a" 1}"#, #"{a:1}"#,
        "\"unterminated", "\"\u{1}\"", #""\x""#, #""\ud800""#, #""\udc00x""#, "[1] [2]", "NaN", "1e999",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try JSONValue.parse(Array(fine.utf8)) }
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONValue.parse(Array("1787303700123".utf8)) == .int(1_787_303_700_123))
        #expect(try JSONValue.parse(Array("2.5".utf8)) == .double(2.5))
        #expect(try JSONValue.parse(Array("99999999999999999999".utf8)) == .double(1e20))
    }
}

@Suite struct JSONSelectionTests {
    @Test func unselectedPartsKeepTheirKindButNotTheirContent() throws {
        let text = #"{"keep":{"a":"x","b":[1]},"drop":{"c":"y"},"s":"long","n":5,"l":[1,2]}"#
        let value = try JSONValue.parse(Array(text.utf8), selecting: .members(["keep": .all, "n": .all]))
        #expect(value == .object([
            "keep": .object(["a": .string("x"), "b": .array([.int(1)])]), "drop": .object([:]), "s": .string(""), "n": .int(5),
            "l": .array([]),
        ]))
    }

    @Test(arguments: [
        #"{"x":"\ud800"}"#, #"{"x":"\q"}"#, "{\"x\":\"a\u{1}\"}", #"{"x":"unterminated}"#, #"{"x":[1,]}"#,
    ])
    func unselectedPartsAreStillValidated(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(text.utf8), selecting: .members([:])) }
    }

    @Test(arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF], [0x80]] as [[UInt8]])
    func invalidUTF8InUnselectedStrings(_ sequence: [UInt8]) {
        let bytes = Array(#"{"x":""#.utf8) + sequence + Array(#""}"#.utf8)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes, selecting: .members([:])) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes) }
    }

    /// The parser validates UTF-8 itself while scanning: kept strings, strings after an
    /// escape, keys (kept or not) are all checked.
    @Test(arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF], [0x80]] as [[UInt8]])
    func invalidUTF8AnywhereInAString(_ sequence: [UInt8]) {
        let kept = Array(#"{"x":"a"#.utf8) + sequence + Array(#""}"#.utf8)
        let afterEscape = Array(#"{"x":"\n"#.utf8) + sequence + Array(#""}"#.utf8)
        let key = Array(#"{"k"#.utf8) + sequence + Array(#"":1}"#.utf8)
        let unkeptKey = Array(#"{"drop":{"k"#.utf8) + sequence + Array(#"":1}}"#.utf8)
        for bytes in [kept, afterEscape, key, unkeptKey] {
            #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes) }
            #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(bytes, selecting: .members(["x": .all])) }
        }
    }

    @Test func keptStringsKeepTheirMultibyteTextAndARepeatedKeyTakesTheLastValue() throws {
        let bytes = Array("{\"é\":\"é€😀\",\"e\":\"\\n€ \\u00e9😀\",\"d\":1,\"d\":2}".utf8)
        #expect(try JSONValue.parse(bytes) == .object(["é": .string("é€😀"), "e": .string("\n€ é😀"), "d": .int(2)]))
    }

    @Test func validMultibyteInUnselectedStrings() throws {
        let bytes = Array("{\"x\":\"é€😀 \\u00e9 \\ud83d\\ude00\"}".utf8)
        #expect(try JSONValue.parse(bytes, selecting: .members([:])) == .object(["x": .string("")]))
    }
}
