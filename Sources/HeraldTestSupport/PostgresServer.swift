import Foundation
import Synchronization

/// A real PostgreSQL server the tests start themselves (Debian's `postgresql`): `initdb`
/// into a temporary folder, `pg_ctl` listening on a Unix socket in that folder (trusted)
/// and on 127.0.0.1 at a free port (passwords, SCRAM), run as an unprivileged user when the
/// tests run as root (`postgres`, which Debian's package creates, else `nobody`). A
/// watchdog stops it and removes the folder once the test process is gone, however it
/// ends. `fsync` is off: these tests restart the server, never the machine.
public final class PostgresServer: Sendable {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The folder with the data directory, the log and the socket.
    public let folder: String
    public let port: Int
    private let bin: String
    /// Who runs the server's programs (nil: this process's user).
    private let user: (name: String, uid: uid_t, gid: gid_t)?
    private let databases = Mutex(0)

    /// One server for the whole test process, started on first use.
    public static func shared() throws(Failure) -> PostgresServer {
        try sharedServer.get()
    }

    private static let sharedServer = Result<PostgresServer, Failure> { () throws(Failure) in try PostgresServer() }

    /// A server of its own (for a test that stops or restarts it).
    public init() throws(Failure) {
        bin = try Self.binaries()
        if getuid() == 0 {
            guard let entry = getpwnam("postgres") ?? getpwnam("nobody") else { throw Failure(description: "no unprivileged user to run PostgreSQL as") }
            user = (String(cString: entry.pointee.pw_name), entry.pointee.pw_uid, entry.pointee.pw_gid)
        } else {
            user = nil
        }
        folder = "/tmp/herald-pg-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        port = try Self.freePort()
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        } catch {
            throw Failure(description: "cannot create \(folder)")
        }
        if let user { chown(folder, user.uid, user.gid) }
        try runAsServer("initdb", ["-D", "\(folder)/data", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
                                   "--auth-local=trust", "--auth-host=scram-sha-256"])
        startWatchdog()
        try start()
    }

    /// A URL over the Unix socket, as the superuser (trusted).
    public func url(database: String) -> String {
        "postgres://postgres@/\(database)?host=\(folder)&port=\(port)"
    }

    /// A URL over TCP on 127.0.0.1, with a password.
    public func tcpURL(database: String, user: String, password: String) -> String {
        "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// A new, empty database; returns its name.
    public func createDatabase() throws(Failure) -> String {
        let number = databases.withLock { number in
            number += 1
            return number
        }
        let name = "herald_\(number)_\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs SQL as the superuser and returns psql's unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws(Failure) -> String {
        try Self.run("\(bin)/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder, "-p", String(port), "-U", "postgres",
                                     "-d", database, "-c", sql])
    }

    public func start() throws(Failure) {
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder) -c max_connections=400 -c fsync=off"
        try runAsServer("pg_ctl", ["-D", "\(folder)/data", "-l", "\(folder)/log", "-o", options, "-w", "-t", "60", "start"])
    }

    /// A fast shutdown: every connection is cut (57P01), as in a failover.
    public func stop() throws(Failure) {
        try runAsServer("pg_ctl", ["-D", "\(folder)/data", "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// The server's log.
    public var log: String { (try? String(contentsOfFile: "\(folder)/log", encoding: .utf8)) ?? "" }

    private func runAsServer(_ program: String, _ arguments: [String]) throws(Failure) {
        if let user {
            try Self.run("/usr/sbin/runuser", ["-u", user.name, "--", "\(bin)/\(program)"] + arguments)
        } else {
            try Self.run("\(bin)/\(program)", arguments)
        }
    }

    /// A shell that outlives this process by as long as it takes to stop the server and
    /// remove the folder.
    private func startWatchdog() {
        let stop = (user.map { "/usr/sbin/runuser -u \($0.name) -- " } ?? "") + "\(bin)/pg_ctl -D \(folder)/data -m immediate stop"
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.3; done; \(stop) >/dev/null 2>&1; rm -rf \(folder)"
        _ = try? Self.spawn("/bin/sh", ["-c", script], output: -1)
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: [String]) throws(Failure) -> String {
        var pipe: [Int32] = [-1, -1]
        guard Glibc.pipe(&pipe) == 0 else { throw Failure(description: "no pipe") }
        // Not inherited by what other threads start meanwhile (pipe2 is not visible here).
        _ = fcntl(pipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipe[1], F_SETFD, FD_CLOEXEC)
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments, output: pipe[1])
        } catch {
            close(pipe[0])
            close(pipe[1])
            throw error
        }
        close(pipe[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += chunk[..<count]
        }
        close(pipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        guard status == 0 else {
            throw Failure(description: "\((executable as NSString).lastPathComponent) \(arguments.last ?? "") failed: \(text)")
        }
        return text
    }

    /// Starts `executable` with stdout and stderr on `output` (-1: /dev/null), through a
    /// shell that first closes every other descriptor this process holds: the server
    /// `pg_ctl` leaves running must not keep any (Foundation's `Process` learns that a
    /// child ended when a socket it gave the child closes, and tests' listening sockets
    /// would stay open). Not Foundation's `Process` itself, for the same reason.
    private static func spawn(_ executable: String, _ arguments: [String], output: Int32) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if output >= 0 {
            posix_spawn_file_actions_adddup2(&actions, output, 1)
            posix_spawn_file_actions_adddup2(&actions, output, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let closeAndRun = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@""#
        let words = ["/bin/bash", "-c", closeAndRun, "bash", executable] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/bash", &actions, nil, argv, environ) == 0 else {
            throw Failure(description: "cannot run \(executable)")
        }
        return pid
    }

    /// Where Debian keeps the server's programs (not on the PATH), newest version first.
    private static func binaries() throws(Failure) -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/pg_ctl") {
            return "\(root)/\(version)/bin"
        }
        throw Failure(description: "PostgreSQL is not installed (scripts/install-deps.sh --test installs Debian's postgresql)")
    }

    /// A TCP port nobody listens on now (the kernel picks it).
    private static func freePort() throws(Failure) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "no socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
