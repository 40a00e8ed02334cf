import Foundation

/// Runs `body` on a new thread called `name` (at most 15 bytes: Linux keeps no more), also
/// the name the kernel shows (`top -H`, `/proc/PID/task/*/comm`). Foundation's setter alone
/// does not always get there: from inside a new thread, it reaches the kernel only if the
/// starting thread has already stored the new thread's handle, and now and then it has not.
/// So on Linux the thread also writes its name where the kernel keeps it.
public func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
    Thread {
        Thread.current.name = name
        #if os(Linux)
            if let file = FileHandle(forWritingAtPath: "/proc/thread-self/comm") {
                file.write(Data(name.utf8))
                try? file.close()
            }
        #endif
        body()
    }.start()
}
