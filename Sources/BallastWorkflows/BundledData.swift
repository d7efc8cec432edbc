import Foundation

/// The folder that holds Ballast's bundled data (`market-data/` with the price files and the
/// product catalogue, `profiles/` with the questionnaire, the levels and sample customers),
/// found without relying on the working directory.
///
/// ``locate(explicit:environment:executable:)`` looks, in order, at
/// 1. the folder given explicitly (the command line's `--data-dir`),
/// 2. `BALLAST_DATA_DIR`,
/// 3. beside the executable: `<bin>/../share/ballast` (an installed binary, as
///    `/usr/local/bin/ballast` with `/usr/local/share/ballast`) and `<bin>/ballast-data`,
/// 4. the source tree the executable was built from,
/// 5. the working directory,
/// and takes the first that holds `market-data/catalog.json` and `profiles/levels.json`.
public struct BundledData: Sendable, Equatable {
    /// The data folder (holding `market-data/` and `profiles/`).
    public let root: String

    /// The environment variable that names the data folder.
    public static let environmentVariable = "BALLAST_DATA_DIR"

    /// A data folder at `root` (not checked; see ``isDataDirectory(_:)``).
    public init(root: String) { self.root = root }

    /// Whether `path` holds the bundled data.
    public static func isDataDirectory(_ path: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: path + "/market-data/catalog.json") && fm.fileExists(atPath: path + "/profiles/levels.json")
    }

    /// The source tree this module was built from (three folders above this file).
    static let sourceTree: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Finds the data folder (see the type's discussion for the order).
    ///
    /// - Parameters:
    ///   - explicit: a folder the user named; it must hold the data.
    ///   - environment: the process environment (for ``environmentVariable``).
    ///   - executable: the running executable's path (`nil`: the current process's).
    /// - Throws: ``BundledDataError`` when a named folder does not hold the data, or no folder does.
    public static func locate(
        explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, executable: String? = nil
    ) throws(BundledDataError) -> BundledData {
        if let explicit {
            guard isDataDirectory(explicit) else {
                throw BundledDataError(
                    "--data-dir \(explicit) does not hold Ballast's data (market-data/catalog.json and profiles/levels.json); name the folder that holds market-data/ and profiles/"
                )
            }
            return BundledData(root: explicit)
        }
        if let named = environment[environmentVariable], !named.isEmpty {
            guard isDataDirectory(named) else {
                throw BundledDataError(
                    "\(environmentVariable)=\(named) does not hold Ballast's data (market-data/catalog.json and profiles/levels.json); point it at the folder that holds market-data/ and profiles/"
                )
            }
            return BundledData(root: named)
        }
        var candidates: [String] = []
        let exe = executable ?? Bundle.main.executableURL?.resolvingSymlinksInPath().path
        if let exe {
            let bin = URL(fileURLWithPath: exe).deletingLastPathComponent()
            candidates.append(bin.deletingLastPathComponent().appendingPathComponent("share/ballast").path)
            candidates.append(bin.appendingPathComponent("ballast-data").path)
        }
        candidates.append(sourceTree)
        candidates.append(FileManager.default.currentDirectoryPath)
        if let found = candidates.first(where: isDataDirectory) { return BundledData(root: found) }
        throw BundledDataError(
            "Ballast's data (market-data/ and profiles/) was not found in \(candidates.joined(separator: ", ")); install it beside the binary (share/ballast), or name its folder with --data-dir or \(environmentVariable)"
        )
    }

    /// The absolute path of a bundled file, e.g. `market-data/sp500_20.csv`.
    public func path(_ relative: String) -> String { root + "/" + relative }

    /// The file a user named: as given when it exists there (or is absolute), else the
    /// bundled file of that relative name when there is one, else as given (so that the error
    /// names what the user typed).
    public func resolve(_ given: String) -> String {
        guard !given.hasPrefix("/"), given != "-", !FileManager.default.fileExists(atPath: given) else { return given }
        let bundled = path(given)
        return FileManager.default.fileExists(atPath: bundled) ? bundled : given
    }
}

/// The bundled data could not be found.
public struct BundledDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was looked for, where, and how to fix it.
    public var description: String

    /// An error with its message.
    public init(_ description: String) { self.description = description }
}
