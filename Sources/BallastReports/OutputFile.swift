import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
#endif

/// A file a command or a service writes a result to.
public enum ReportFile {
    /// Writes `text` to the file at `path` (created, or replaced), checking every step: a folder
    /// that cannot be written, a full disk (`No space left on device`) or any other failure is an
    /// error naming the path, what was being written and the system's reason (exit 1), and a
    /// partly written regular file is removed rather than left looking complete.
    ///
    /// Commands write their files with this before they append the audit record of the result,
    /// so that a result that could not be written is never recorded as delivered.
    ///
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - path: where it goes.
    ///   - what: what the file holds, in the user's words (`the report`, `nav.csv`).
    public static func write(_ text: String, to path: String, what: String) throws(ReportFileError) {
        func failure(_ code: Int32) -> ReportFileError {
            ReportFileError(
                "\(path): cannot write \(what) (\(String(cString: strerror(code)))); free some space or choose a file in a folder you may write to"
            )
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        var code: Int32 = 0
        var bytes = text
        bytes.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    code = errno
                    return
                }
                offset += n
            }
        }
        // Some file systems report a full disk only when the file is closed.
        if close(fd) != 0 && code == 0 { code = errno }
        guard code != 0 else { return }
        var s = stat()
        if stat(path, &s) == 0 && (s.st_mode & S_IFMT) == S_IFREG { unlink(path) }
        throw failure(code)
    }

    /// Writes named files into `folder` (created with its parents when missing), each checked
    /// as ``write(_:to:what:)`` checks one.
    ///
    /// - Parameters:
    ///   - files: file names and their contents, such as `BacktestScreen.csvFiles(result)`.
    ///   - folder: where they go.
    public static func write(_ files: [(name: String, text: String)], into folder: String) throws(ReportFileError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ReportFileError(
                "\(folder): cannot create the folder (\((error as NSError).localizedFailureReason ?? error.localizedDescription)); choose a folder you may write to"
            )
        }
        for (name, text) in files { try write(text, to: (folder as NSString).appendingPathComponent(name), what: name) }
    }
}

/// A result file could not be written: the path, what it was to hold, the system's reason and
/// the fix.
public struct ReportFileError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String

    /// An error with its message.
    public init(_ description: String) { self.description = description }
}
