import ArgumentParser
import Foundation

/// One path a command reads or writes, with the option that names it (for messages).
struct NamedPath {
    var option: String
    var path: String

    init(_ option: String, _ path: String) {
        self.option = option
        self.path = path
    }
}

/// Refuses to run when an output would overwrite an input, or two outputs are the same file.
///
/// Files are compared by device and inode (`stat`), not by name, so that `./book.jsonl` and
/// `book.jsonl`, symbolic links and hard links are all caught. A path that does not exist yet
/// cannot be an input; `-` (standard input or output) is skipped. A folder among the outputs
/// (such as `backtest --csv DIR`) stands for the files it will hold, listed by the caller.
///
/// - Throws: `ValidationError` (exit code 2) naming both options and the path.
func refuseOverwriting(inputs: [NamedPath], outputs: [NamedPath]) throws {
    func identity(_ path: String) -> (dev_t, ino_t)? {
        guard path != "-" else { return nil }
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return (s.st_dev, s.st_ino)
    }
    let ins = inputs.compactMap { p in identity(p.path).map { (p, $0) } }
    var earlier: [(NamedPath, (dev_t, ino_t))] = []
    for out in outputs {
        guard let id = identity(out.path) else { continue }
        for (input, other) in ins where other == id {
            throw ValidationError(
                "\(out.option) \(out.path) is the same file as \(input.option) \(input.path): writing it would destroy the input; "
                    + "choose another path for \(out.option)")
        }
        for (previous, other) in earlier where other == id {
            throw ValidationError(
                "\(out.option) \(out.path) is the same file as \(previous.option) \(previous.path); give each output its own path")
        }
        earlier.append((out, id))
    }
}
