import Foundation

@_exported import struct BallastMarketData.SeededGenerator

/// Helpers shared by Ballast's test targets.
public enum TestSupport {
    /// The package root (the folder holding Package.swift), found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Absolute path of a file given relative to the package root.
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Decodes a JSON fixture under Tests/Fixtures.
    public static func fixture<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let data = try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// Largest relative error `|a - b| / max(|b|, scale)` over two arrays, where `scale`
    /// (default: the largest |b|) keeps entries near zero from dominating.
    ///
    /// Using the largest reference magnitude as the floor states the tolerance relative to
    /// the size of the quantity (a covariance matrix's error relative to its largest entry),
    /// which is how a relative error of a matrix is normally read.
    public static func maxRelativeError(_ a: [Double], _ b: [Double], scale: Double? = nil) -> Double {
        precondition(a.count == b.count, "arrays differ in length: \(a.count) vs \(b.count)")
        let s = scale ?? (b.map(abs).max() ?? 1)
        var worst = 0.0
        for k in a.indices {
            let denom = Swift.max(abs(b[k]), s)
            let e = denom == 0 ? abs(a[k] - b[k]) : abs(a[k] - b[k]) / denom
            if e.isNaN { return .infinity }
            worst = Swift.max(worst, e)
        }
        return worst
    }

    /// Element-wise relative error `|a - b| / |b|` (no floor): the strict measure.
    public static func maxStrictRelativeError(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "arrays differ in length: \(a.count) vs \(b.count)")
        var worst = 0.0
        for k in a.indices {
            let e = b[k] == 0 ? abs(a[k]) : abs(a[k] - b[k]) / abs(b[k])
            if e.isNaN { return .infinity }
            worst = Swift.max(worst, e)
        }
        return worst
    }
}
