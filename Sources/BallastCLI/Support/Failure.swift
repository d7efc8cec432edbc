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
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body, turning domain errors into a message on stderr and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as MarketDataError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as RiskModelError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as OptimizationError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as ProfilingError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as RebalanceError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as InputFileError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as LinearAlgebraError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        printError("internal error: \(error)")
        throw ExitCode(ExitStatus.internalError)
    }
}
