import Foundation

/// One path a run reads or writes, with the name the user gave it (an option such as
/// `--out`, or a field of a request), for messages.
public struct NamedPath: Sendable, Hashable {
    /// The option or field that names the path.
    public var option: String
    /// The path as given.
    public var path: String

    /// A path named by `option`.
    public init(_ option: String, _ path: String) {
        self.option = option
        self.path = path
    }

    /// The paths that were given, each with its option, in order; `nil` paths are left out.
    public static func given(_ pairs: KeyValuePairs<String, String?>) -> [NamedPath] {
        pairs.compactMap { option, path in path.map { NamedPath(option, $0) } }
    }
}

/// An output that would overwrite an input, or two outputs that are one file.
public struct PathClashError: Error, CustomStringConvertible, Sendable {
    /// What clashes with what, and how to fix it.
    public let description: String
}

/// Checks that writing a run's outputs destroys none of its inputs.
public enum OutputSafety {
    /// Refuses when an output is the same file as an input, or two outputs are the same file.
    ///
    /// Files are compared by device and inode (`stat`), not by name, so that `./book.jsonl` and
    /// `book.jsonl`, symbolic links and hard links are all caught. A path that does not exist yet
    /// cannot be an input; `-` (standard input or output) is skipped. A folder among the outputs
    /// (such as a back-test's CSV folder) stands for the files it will hold, listed by the caller.
    ///
    /// - Throws: `PathClashError` naming both options and the path.
    public static func refuseOverwriting(inputs: [NamedPath], outputs: [NamedPath]) throws(PathClashError) {
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
                throw PathClashError(
                    description:
                        "\(out.option) \(out.path) is the same file as \(input.option) \(input.path): writing it would destroy the "
                        + "input; choose another path for \(out.option)")
            }
            for (previous, other) in earlier where other == id {
                throw PathClashError(
                    description:
                        "\(out.option) \(out.path) is the same file as \(previous.option) \(previous.path); give each output its own path")
            }
            earlier.append((out, id))
        }
    }
}
