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

/// Errors that describe a problem with the input or the data, with a fix: shown as
/// `error: <description>` with exit code 1.
protocol UserFacingError: Error, CustomStringConvertible {}

extension MarketDataError: UserFacingError {}
extension RiskModelError: UserFacingError {}
extension LinearAlgebraError: UserFacingError {}
extension OptimizationError: UserFacingError {}
extension ProfilingError: UserFacingError {}
extension RebalanceError: UserFacingError {}
extension InputFileError: UserFacingError {}

/// Runs a command body, turning domain errors into a message on stderr and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch let e as any UserFacingError {
        printError("error: \(e)")
        throw ExitCode(ExitStatus.dataError)
    } catch {
        printError("internal error: \(error)")
        throw ExitCode(ExitStatus.internalError)
    }
}
