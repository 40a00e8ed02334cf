import Foundation

extension MessageStore {
    /// Creates a new store at `path`, whole or not at all: the file is made under a
    /// temporary name, 0600 whatever the umask (SQLite gives its `-wal` and `-shm` the
    /// database file's mode), its schema written and merged into it, and only then linked
    /// to `path`. No process ever finds an empty file there, which would be refused as
    /// damaged, and two processes starting at once on a new path agree on one store (the
    /// second link fails, and its store is thrown away).
    static func create(at path: String) throws {
        let temporary = path + ".new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) } }
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw creationError("cannot create \(temporary)", errno) }
        let modeError = fchmod(fd, 0o600) == 0 ? 0 : errno
        Glibc.close(fd)
        guard modeError == 0 else { throw creationError("cannot set the mode of \(temporary)", modeError) }
        let connection = try Connection(path: temporary)
        try connection.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL")
        try Schema.migrate(connection)
        try connection.close()  // the only connection: its WAL merged into the file (synced) and removed
        if link(temporary, path) != 0 {
            let linkError = errno
            switch linkError {
            case EEXIST: return  // another process created it first: use that one
            case EPERM, EOPNOTSUPP, ENOSYS, EMLINK:
                // A file system without hard links: a rename, after a last look.
                guard !FileManager.default.fileExists(atPath: path) else { return }
                guard rename(temporary, path) == 0 else { throw creationError("cannot move \(temporary) to \(path)", errno) }
            default:
                throw creationError("cannot link \(temporary) to \(path)", linkError)
            }
        }
        let folder = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            Glibc.close(folder)
        }
    }

    private static func creationError(_ what: String, _ code: Int32) -> SQLiteError {
        SQLiteError(code: 14, message: "\(what): \(String(cString: strerror(code)))")  // SQLITE_CANTOPEN
    }
}
