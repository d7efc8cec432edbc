import ArgumentParser
import Ballast
import Foundation

/// Process exit codes, documented in `ballast --help`.
enum ExitStatus {
    /// The input or the data cannot support the request.
    static let dataError: Int32 = 1
    /// Usage error (ArgumentParser's own code for validation errors).
    static let usage: Int32 = 2
    /// Internal error.
    static let internalError: Int32 = 3
    /// A batch run halted by a circuit breaker (resumable).
    static let halted: Int32 = 5
}

/// Whether standard error gets colour: only on a terminal, and never when `NO_COLOR` is set
/// (https://no-color.org) or `TERM` is `dumb`.
let stderrColour: Bool = {
    let env = ProcessInfo.processInfo.environment
    return isatty(2) != 0 && (env["NO_COLOR"] ?? "").isEmpty && env["TERM"] != "dumb"
}()

/// Writes a line to standard error; an `error:` or `warning:` prefix is coloured on a terminal.
func printError(_ message: String) {
    var text = message
    if stderrColour {
        for (prefix, code) in [("error:", "31"), ("internal error:", "31"), ("warning:", "33"), ("note:", "36")]
        where text.hasPrefix(prefix) {
            text = "\u{1B}[1;\(code)m\(prefix)\u{1B}[0m" + text.dropFirst(prefix.count)
            break
        }
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs a command body: the user's errors (``BallastInputError``) become `error: …` on stderr and
/// exit code 1, anything else an internal error (exit 3).
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch let e as BatchHaltError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.halted)
    } catch let e as any BallastInputError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch {
        printError("internal error: \(error)")
        throw ExitCode(ExitStatus.internalError)
    }
}
