import HeraldTestSupport
import Testing

@testable import HeraldPostgres

/// Statements sent together in one round trip (the writer's BEGIN with a batch's first
/// statement, its history with the COMMIT), against a real server.
@Suite struct ConnectionPipelineTests {
    let server: PostgresServer
    let connection: Connection

    init() throws {
        server = try PostgresServer.shared()
        connection = try Connection(ConnectionTarget(url: server.url(database: try server.createDatabase())))
        try connection.execute("CREATE TABLE t (n integer PRIMARY KEY)")
    }

    private func count() throws -> Int64 {
        try connection.query("SELECT count(*) FROM t").int(0, 0)
    }

    @Test func statementsAnswerInOrderAndCommitTogether() throws {
        let results = try connection.pipeline([
            Connection.Statement(sql: "BEGIN"),
            Connection.Statement(sql: "INSERT INTO t VALUES ($1), ($2) RETURNING n", values: [.integer(1), .integer(2)]),
            Connection.Statement(sql: "SELECT current_setting('lock_timeout')"),
            Connection.Statement(sql: "COMMIT"),
        ])
        #expect(results.count == 4)
        #expect(results[1].count == 2 && results[1].int(1, 0) == 2)
        #expect(results[3].commandTag == "COMMIT")
        #expect(try count() == 2)
        #expect(!connection.inTransaction)
    }

    @Test func aPendingBeginGoesWithTheNextStatementAndItsSettingsStayInTheTransaction() throws {
        connection.begin(Writer.opening)
        #expect(!connection.inTransaction)  // nothing sent yet
        #expect(try connection.query("SELECT current_setting('lock_timeout'), current_setting('enable_seqscan')").text(0, 0) == "5s")
        #expect(connection.inTransaction)
        #expect(try connection.query("SELECT current_setting('enable_seqscan')").text(0, 0) == "off")
        try connection.execute("COMMIT")
        #expect(try connection.query("SELECT current_setting('enable_seqscan')").text(0, 0) == "on")  // SET LOCAL: gone with it
        // execute (the simple protocol) sends a pending BEGIN first.
        connection.begin(Writer.opening)
        try connection.execute("INSERT INTO t VALUES (7)")
        #expect(connection.inTransaction)
        try connection.execute("ROLLBACK")
        #expect(try count() == 0)
    }

    /// The server skips what follows an error up to the end of the pipeline: the COMMIT
    /// does not run, the first error is thrown, and the connection is usable again.
    @Test func anErrorSkipsTheRestAndLeavesTheConnectionUsable() throws {
        try connection.execute("INSERT INTO t VALUES (1)")
        connection.begin([Connection.Statement(sql: "BEGIN")])
        let failure = #expect(throws: PostgresError.self) {
            try connection.pipeline([
                Connection.Statement(sql: "INSERT INTO t VALUES ($1)", values: [.integer(2)]),
                Connection.Statement(sql: "INSERT INTO t VALUES ($1)", values: [.integer(1)]),  // a duplicate key
                Connection.Statement(sql: "COMMIT"),
            ])
        }
        #expect(failure?.sqlState == "23505")
        #expect(connection.inTransaction)  // failed, not committed
        try connection.execute("ROLLBACK")
        #expect(try count() == 1)
        #expect(try connection.pipeline([Connection.Statement(sql: "SELECT 1")])[0].int(0, 0) == 1)
    }

    /// The writer's `NOTIFY` after its `COMMIT`: when the tolerated statement fails, the
    /// commit before it stands, nothing is thrown, the error is returned, and a pipeline
    /// whose tolerated statement is answered returns none.
    @Test func aToleratedStatementsFailureLeavesTheCommitBeforeItStanding() throws {
        connection.begin([Connection.Statement(sql: "BEGIN")])
        let (results, toleratedError) = try connection.pipeline(
            [Connection.Statement(sql: "INSERT INTO t VALUES ($1)", values: [.integer(1)]), Connection.Statement(sql: "COMMIT")],
            tolerating: Connection.Statement(sql: "SELECT 1 / $1", values: [.integer(0)]))  // division by zero
        #expect(results.count == 2)
        #expect(results[1].commandTag == "COMMIT")
        #expect(toleratedError?.sqlState == "22012")
        #expect(!connection.inTransaction)
        #expect(try count() == 1)
        // Answered, it is a result like any other.
        let answered = try connection.pipeline([], tolerating: Connection.Statement(sql: "SELECT 1 / $1", values: [.integer(1)]))
        #expect(answered.toleratedError == nil)
        #expect(answered.results.count == 1 && answered.results[0].int(0, 0) == 1)
    }

    /// What a failover does to a connection between two batches: the next pipeline fails as
    /// a lost connection (the writer opens another and runs the batch again).
    @Test func aConnectionTheServerEndedFailsThePipelineAsLost() throws {
        let pid = try connection.query("SELECT pg_backend_pid()").int(0, 0)
        try server.psql("SELECT pg_terminate_backend(\(pid))")
        connection.begin([Connection.Statement(sql: "BEGIN")])
        let failure = #expect(throws: PostgresError.self) {
            try connection.pipeline([Connection.Statement(sql: "INSERT INTO t VALUES (1)"), Connection.Statement(sql: "COMMIT")])
        }
        #expect(failure?.needsReconnect == true)
        #expect(connection.isBroken)
    }
}
