import BallastMarketData
import Foundation

/// The constraint files of `optimize` and `frontier`: bounds per symbol and group limits.
public enum ConstraintFiles {
    /// Per-symbol bounds from a CSV file `symbol,lower,upper` (a header line is skipped; an
    /// empty field keeps the default bound).
    ///
    /// - Throws: ``ConstraintFileError`` naming the file, the line and the column.
    public static func bounds(_ path: String) throws(ConstraintFileError) -> [(symbol: String, lower: Double?, upper: Double?)] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConstraintFileError("\(path): no such file or not UTF-8 text; give a CSV `symbol,lower,upper`")
        }
        var out: [(String, Double?, Double?)] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (k, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}")))
            if line.isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if k == 0 && f.first?.lowercased() == "symbol" { continue }
            guard f.count == 3, !f[0].isEmpty else {
                throw ConstraintFileError(
                    "\(path):\(k + 1): expected `symbol,lower,upper`, got `\(line)`; leave a field empty to keep the default")
            }
            func value(_ s: String, _ column: Int) throws(ConstraintFileError) -> Double? {
                if s.isEmpty { return nil }
                guard let v = Double(s), v.isFinite else {
                    throw ConstraintFileError("\(path):\(k + 1):\(column): `\(s)` is not a number; write a weight such as 0.1")
                }
                return v
            }
            out.append((f[0], try value(f[1], 2), try value(f[2], 3)))
        }
        return out
    }

    /// Group limits from a JSON array of `{name, members, minimum, maximum}`.
    ///
    /// - Throws: ``ConstraintFileError`` naming the file and the field.
    public static func groups(_ path: String) throws(ConstraintFileError) -> [AssetGroup] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConstraintFileError("\(path): no such file; give a JSON array of groups")
        }
        do {
            return try JSONDecoder().decode([AssetGroup].self, from: data)
        } catch let e as DecodingError {
            let (field, message) = describe(e)
            throw ConstraintFileError("\(path): \(field): \(message); each group is {\"name\", \"members\", \"minimum\", \"maximum\"}")
        } catch {
            throw ConstraintFileError("\(path): not valid JSON (\(error.localizedDescription))")
        }
    }
}

/// A constraint file that cannot be used, with where and how to fix it.
public struct ConstraintFileError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}
