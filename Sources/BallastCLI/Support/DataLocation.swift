import ArgumentParser
import Ballast
import Foundation
import Synchronization

/// `--data-dir`: where the bundled data lives when it is not beside the binary.
struct DataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Folder holding market-data/ and profiles/ (default: BALLAST_DATA_DIR, beside the binary, or the source tree).",
            valueName: "dir"))
    var dataDir: String?

    func validate() throws {
        if let dataDir {
            do { DataLocation.install(try BundledData.locate(explicit: dataDir)) } catch { throw ValidationError(error.description) }
        }
    }
}

/// The bundled data folder of this run, located once.
enum DataLocation {
    private static let current = Mutex<Result<BundledData, BundledDataError>?>(nil)

    static func install(_ data: BundledData) { current.withLock { $0 = .success(data) } }

    /// The located folder, or why none was found.
    static func data() throws(BundledDataError) -> BundledData {
        let result = current.withLock { value in
            if value == nil { value = Result { () throws(BundledDataError) in try BundledData.locate() } }
            return value!
        }
        return try result.get()
    }
}

/// A file the user named or a default: as given when it exists, else the bundled file of that
/// name (so that `ballast recommend profiles/customers/balanced-saver.json` runs from anywhere).
///
/// - Throws: `BundledDataError` when the file is not where it was named and no data folder
///   can be found (or the one named by `BALLAST_DATA_DIR` does not hold the data).
func bundled(_ path: String) throws -> String {
    if path.hasPrefix("/") || path == "-" || FileManager.default.fileExists(atPath: path) { return path }
    return try DataLocation.data().resolve(path)
}
