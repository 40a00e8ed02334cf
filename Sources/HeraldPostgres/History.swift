import HeraldCore

/// How `herald log --follow` reads every instance's history in order without ever
/// skipping a row. The history's ids come from one sequence, but transactions commit in
/// any order: a reader that saw id 7 committed could later see id 6 appear, and a cursor
/// past 7 would miss it. So:
///
/// - a writer takes its batch's ids under a lock (the session-level advisory lock
///   `assigning`, held for the one statement that inserts the batch's history, never across
///   the commit, so that instances still commit, and flush, in parallel), and before
///   letting go of it takes a transaction-level advisory lock whose key is `holding` plus
///   its smallest id: that lock says, to every session and at once (`pg_locks` is not
///   transactional), "ids from here on may still appear", until the commit is visible;
/// - a reader first reads a bound (``boundQuery``): below the smallest id still held, or
///   else the sequence's last value; then, in a later statement (a newer snapshot), reads
///   the rows up to that bound. Every id under the bound belongs to a transaction that had
///   ended when the bound was read, so the rows the reader gets are all there will ever be
///   below the highest one it gets.
enum History {
    /// The lock ids are assigned under (per database).
    static let assigning: Int64 = 0x4845_5241_4C44_0002
    /// Held-id locks: this plus a batch's smallest id (ids stay below 2^48).
    static let holding: Int64 = 0x4848_0000_0000_0000
    /// `pg_locks` shows a bigint key as `classid` (the high half) and `objid`.
    private static let holdingClassIDs = (holding >> 32, (holding >> 32) + 0xFFFF)

    /// The batch's rows, in the order given, published as held before the assigning lock
    /// is let go. The sort reads the locking CTE before the first row reaches the insert.
    static let insert = """
        WITH assigning AS MATERIALIZED (SELECT pg_advisory_lock($5)),
        e AS (
            INSERT INTO message_events (message_id, at, status, detail)
            SELECT e.message_id, e.at, e.status, e.detail
            FROM assigning, unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS e (message_id, at, status, detail, n)
            ORDER BY e.n
            RETURNING id),
        held AS MATERIALIZED (SELECT pg_advisory_xact_lock($6 + min(id)) FROM e),
        released AS MATERIALIZED (SELECT pg_advisory_unlock($5) FROM held)
        SELECT count(*) FROM released
        """

    static func insertParameters(_ events: [WriteContext.PendingEvent]) -> [SQLValue] {
        [
            ArrayLiteral.integers(events.map(\.messageID)), ArrayLiteral.integers(events.map(\.at)),
            ArrayLiteral.texts(events.map(\.status.rawValue)), ArrayLiteral.texts(events.map(\.detail)), .integer(assigning), .integer(holding),
        ]
    }

    /// After a failed batch: the assigning lock, should the statement have failed while
    /// holding it (a session-level lock outlives the transaction).
    static let releaseAfterFailure = "SELECT pg_advisory_unlock_all()"

    /// The highest id every row at or below which has been committed or will never be.
    static let boundQuery = """
        SELECT COALESCE(
            (SELECT min((l.classid::bigint << 32) | l.objid::bigint) - $1 - 1 FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid::bigint BETWEEN $2 AND $3),
            pg_sequence_last_value(pg_get_serial_sequence('message_events', 'id')::regclass),
            0)
        """

    static let boundParameters: [SQLValue] = [.integer(holding), .integer(holdingClassIDs.0), .integer(holdingClassIDs.1)]
}
