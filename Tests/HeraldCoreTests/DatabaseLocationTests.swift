import HeraldCore
import Testing

@Suite struct DatabaseLocationTests {
    @Test(arguments: [
        ("var/herald.db", DatabaseLocation.sqlite(path: "var/herald.db")),
        ("/var/lib/herald/herald.db", .sqlite(path: "/var/lib/herald/herald.db")),
        ("sqlite:var/herald.db", .sqlite(path: "var/herald.db")),
        ("sqlite:///var/lib/herald.db", .sqlite(path: "/var/lib/herald.db")),
        ("  postgres://u:p@db:5432/herald?sslmode=verify-full ", .postgres(url: "postgres://u:p@db:5432/herald?sslmode=verify-full")),
        ("PostgreSQL:///Herald", .postgres(url: "postgresql:///Herald")),
    ])
    func pathsAndURLsSelectTheBackend(_ text: String, _ expected: DatabaseLocation) throws {
        #expect(try DatabaseLocation(parsing: text) == expected)
    }

    @Test func otherSchemesAreRefusedRatherThanTakenForAFileName() {
        #expect(throws: DatabaseLocation.ParseError.self) { try DatabaseLocation(parsing: "mysql://root:secret@db/herald") }
        #expect(throws: DatabaseLocation.ParseError.self) { try DatabaseLocation(parsing: "sqlite:") }
        #expect(throws: DatabaseLocation.ParseError.self) { try DatabaseLocation(parsing: " ") }
        do {
            _ = try DatabaseLocation(parsing: "mysql://root:s3cret@db/herald")
        } catch {
            #expect(error.problem.contains("'mysql://'"))
            #expect(!error.problem.contains("s3cret"))
        }
    }

    @Test func theDescriptionNeverShowsAPassword() {
        #expect(DatabaseLocation.postgres(url: "postgres://herald:s3cr%40t@db.example:5432/herald?sslmode=verify-full").description
            == "postgres://herald:***@db.example:5432/herald?sslmode=verify-full")
        #expect(DatabaseLocation.postgres(url: "postgresql:///herald?host=/run/pg&password=s3cret&sslpassword=k3y").description
            == "postgresql:///herald?host=/run/pg&password=***&sslpassword=***")
        #expect(DatabaseLocation.postgres(url: "postgres://herald@db/herald").description == "postgres://herald@db/herald")
        #expect(DatabaseLocation.sqlite(path: "var/herald.db").description == "var/herald.db")
    }

    @Test func passwordsAreFoundAsWrittenAndDecoded() {
        #expect(DatabaseLocation.passwords(in: "postgres://u:p%40ss@h/d?password=other") == ["p%40ss", "p@ss", "other"])
        #expect(DatabaseLocation.passwords(in: "postgres://u@h/d").isEmpty)
    }
}
