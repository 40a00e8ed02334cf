import HeraldCore
import Testing

@testable import HeraldPostgres

/// The adapter's pure parts: array literals, password scrubbing, error kinds.
@Suite struct PostgresUnitTests {
    @Test func arrayLiteralsQuoteEveryTextAndSpellNull() {
        #expect(ArrayLiteral.integers([1, -2, 30]) == .text("{1,-2,30}"))
        #expect(ArrayLiteral.integers([]) == .text("{}"))
        #expect(ArrayLiteral.optionalIntegers([250, nil]) == .text("{250,NULL}"))
        #expect(ArrayLiteral.texts(["a", nil, "NULL", #"say "hi" \ bye"#, "{,}", ""]) == .text(#"{"a",NULL,"NULL","say \"hi\" \\ bye","{,}",""}"#))
    }

    @Test func byteArraysUseTheBinaryArrayFormat() {
        #expect(ArrayLiteral.byteArrays([[1, 2], []]) == .bytes([
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 2, 0, 0, 0, 1,  // one dimension, no nulls, bytea, two elements from 1
            0, 0, 0, 2, 1, 2, 0, 0, 0, 0,
        ]))
    }

    @Test func passwordsAreScrubbedFromMessagesAsWrittenAndDecoded() {
        let target = ConnectionTarget(url: "postgres://herald:p%40ss%2Fword@db.example/herald?sslpassword=keypass", environment: ["PGPASSWORD": "fromenv"])
        #expect(target.scrub(#"invalid percent-encoded token: "p%40ss%2Fword""#) == #"invalid percent-encoded token: "***""#)
        #expect(target.scrub("p@ss/word keypass fromenv") == "*** *** ***")
        // Too short to scrub without mangling every message: left alone.
        #expect(ConnectionTarget(url: "postgres://u:abc@h/d", environment: [:]).scrub("abc") == "abc")
    }

    @Test(arguments: [
        ("57P01", StoreError.Kind.unavailable, true), ("08006", .unavailable, true), ("25006", .unavailable, true),
        ("53100", .unavailable, false), ("40P01", .unavailable, false), ("55P03", .unavailable, false), ("28P01", .unavailable, false),
        ("XX001", .corrupt, false), ("23505", .internalError, false), ("42P01", .internalError, false),
    ])
    func sqlStatesDecideTheKindAndWhetherToReconnect(_ state: String, _ kind: StoreError.Kind, _ reconnect: Bool) {
        let error = PostgresError(sqlState: state, message: "m", connectionLost: false)
        #expect(error.storeError.kind == kind)
        #expect(error.storeError.code == "pg_\(state)")
        #expect(error.needsReconnect == reconnect)
        // A lock not had in time or a lack of resources fails every job of a batch alike; a
        // deadlock or a constraint is one job's, and the others commit.
        #expect(error.failsTheBatch == (reconnect || ["53100", "55P03"].contains(state)))
    }

    @Test func aLostConnectionIsUnavailableAndReconnects() {
        let lost = PostgresError(sqlState: nil, message: "server closed the connection unexpectedly", connectionLost: true)
        #expect(lost.storeError == StoreError(.unavailable, code: "pg_connection", message: "server closed the connection unexpectedly"))
        #expect(lost.needsReconnect)
    }

    @Test func byteaHexDecodes() {
        let text = Array(#"\x00ff10Ab"#.utf8)
        #expect(text.withUnsafeBufferPointer(Hex.decodeBytea) == [0x00, 0xFF, 0x10, 0xAB])
    }
}
