import Foundation

/// Writes `text` to the file at `path` (created, or replaced), checking every step: a folder
/// that cannot be written, a full disk (`No space left on device`) or any other failure is an
/// error naming the path, what was being written and the system's reason (exit 1), and a
/// partly written regular file is removed rather than left looking complete.
///
/// Commands write their files with this before they append the audit record of the result,
/// so that a result that could not be written is never recorded as delivered.
///
/// - Parameters:
///   - what: what the file holds, in the user's words (`the report`, `nav.csv`).
func writeOutput(_ text: String, to path: String, what: String) throws {
    func failure(_ code: Int32) -> InputFileError {
        InputFileError(
            description:
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
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
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
