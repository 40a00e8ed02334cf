import Foundation
import HeraldCore

/// The `herald` command line. `run` never exits the process; it returns the exit code:
/// 0 success, 64 bad usage, 1 failure.
public enum CLI {
    public static let version = "0.1.0"

    public static func run(arguments: [String], environment: [String: String], output: Output = .standard) -> Int32 {
        unblockStopSignals()
        guard let command = arguments.first else {
            output.write(Help.overview)
            return 0
        }
        let rest = Array(arguments.dropFirst())
        do {
            switch command {
            case "serve": try ServeCommand.run(rest, environment: environment, output: output)
            case "log": try LogCommand.run(rest, environment: environment, output: output)
            case "show": try ShowCommand.run(rest, environment: environment, output: output)
            case "simulate": try SimulateCommand.run(rest, environment: environment, output: output)
            case "render": try RenderCommand.run(rest, environment: environment, output: output)
            case "check": try CheckCommand.run(rest, environment: environment, output: output)
            case "retry": try RetryCommand.run(rest, environment: environment, output: output)
            case "cancel": try CancelCommand.run(rest, environment: environment, output: output)
            case "prune": try PruneCommand.run(rest, environment: environment, output: output)
            case "status": try StatusCommand.run(rest, environment: environment, output: output)
            case "version", "--version": output.write("herald \(version)\n")
            case "help", "--help", "-h":
                if let topic = rest.first {
                    guard let text = Help.command(topic) else { throw UsageError("no command '\(topic)'; see 'herald help'") }
                    output.write(text)
                } else {
                    output.write(Help.overview)
                }
            default:
                throw UsageError("unknown command '\(command)'; see 'herald help'")
            }
            return 0
        } catch let error as UsageError {
            output.writeError("Error: \(error.description)\n")
            return 64
        } catch let error as ConfigurationError {
            output.writeError("Error: \(error.description)\n")
            return 1
        } catch {
            output.writeError("Error: \(error)\n")
            return 1
        }
    }

    /// A parent may start us with SIGTERM/SIGINT blocked (threads of libdispatch block
    /// them, and children inherit the mask); `herald log --follow` must still stop on them.
    static func unblockStopSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    static func logger(_ configuration: Configuration, label: String = "herald") -> Logger {
        Logger(label: label, level: configuration.logLevel, handler: StandardErrorLogHandler())
    }
}
