import BallastMarketData
import Crypto
import Foundation

/// The outcome of a suitability check.
public struct SuitabilityResult: Sendable, Equatable, Codable {
    /// One reason a portfolio or request is not suitable.
    public struct Issue: Sendable, Equatable, Codable {
        /// The kinds of suitability problem.
        public enum Kind: String, Sendable, Equatable, Codable {
            /// A product rated above the level's maximum (acknowledgeable, except for C1).
            case productRating = "product-rating"
            /// The portfolio's volatility above the level's cap.
            case volatilityCap = "volatility-cap"
            /// A product outside the catalogue, whose risk is unknown.
            case unknownProduct = "unknown-product"
        }
        /// What kind of problem it is.
        public var kind: Kind
        /// The product concerned, if any.
        public var symbol: String?
        /// What is wrong, in plain words.
        public var message: String
    }

    /// True when nothing is above the level, or when the customer acknowledged the warning
    /// (never for C1).
    public var passed: Bool
    /// Every problem found (empty when suitable).
    public var issues: [Issue]
    /// The warning shown when products above the level were asked for.
    public var warning: String?
    /// Whether the customer acknowledged that warning.
    public var acknowledged: Bool
}

/// Suitability rules: every product rated at or below the level's maximum,
/// portfolio volatility within the level's cap. A customer may take a product above their
/// level only after an explicit, recorded warning and acknowledgement; a C1 customer never.
public enum Suitability {
    /// The warning text shown for products above the level.
    public static func warning(level: LevelParameters, products: [Product]) -> String {
        let list = products.map { "\($0.symbol) (\($0.riskRating))" }.joined(separator: ", ")
        return "Risk warning: \(list) carry more risk than your profile \(level.label) allows (at most \(level.maxProductRating)). "
            + "You may lose more than you are prepared to, and these products may not suit your situation. "
            + "Proceed only if you understand and accept this risk."
    }

    /// Checks a portfolio (symbol → weight) against a level.
    ///
    /// - Parameters:
    ///   - weights: the portfolio.
    ///   - volatility: its annualised volatility, if known.
    ///   - level: the customer's level.
    ///   - catalog: the products' ratings.
    ///   - requested: products the customer asked for explicitly.
    ///   - acknowledged: the customer confirmed the risk warning.
    public static func check(
        weights: [String: Double], volatility: Double?, level: LevelParameters, catalog: ProductCatalog, requested: [String] = [],
        acknowledged: Bool = false
    ) -> SuitabilityResult {
        var issues: [SuitabilityResult.Issue] = []
        var above: [Product] = []
        let symbols = Set(weights.filter { $0.value > 1e-9 }.keys).union(requested).sorted()
        for s in symbols {
            guard let p = catalog.product(s) else {
                issues.append(
                    .init(kind: .unknownProduct, symbol: s, message: "\(s) is not in the product catalogue, so its risk is unknown"))
                continue
            }
            if p.riskRating > level.maxProductRating {
                above.append(p)
                issues.append(
                    .init(
                        kind: .productRating, symbol: s,
                        message: "\(s) is rated \(p.riskRating), above the \(level.maxProductRating) that \(level.label) allows"))
            }
        }
        if let v = volatility, v > level.volatilityCap + 1e-9 {
            issues.append(
                .init(
                    kind: .volatilityCap, symbol: nil,
                    message: String(
                        format: "portfolio volatility %.2f%% is above the %.2f%% cap of %@", v * 100, level.volatilityCap * 100, level.label
                    )))
        }
        let warning = above.isEmpty ? nil : Suitability.warning(level: level, products: above)
        let onlyAcknowledgeable = issues.allSatisfy { $0.kind == .productRating }
        let passed = issues.isEmpty || (acknowledged && level.level > 1 && onlyAcknowledgeable)
        return SuitabilityResult(passed: passed, issues: issues, warning: warning, acknowledged: acknowledged && warning != nil)
    }
}

/// Masking and pseudonymisation of personal data.
public enum Privacy {
    /// `王小明` → `王**`, `John Smith` → `J*** S****`: the first character of each word kept.
    public static func maskName(_ name: String) -> String {
        name.split(separator: " ", omittingEmptySubsequences: false).map { word in
            guard let first = word.first else { return "" }
            return String(first) + String(repeating: "*", count: max(word.count - 1, 1))
        }.joined(separator: " ")
    }

    /// Keeps the first 3 and last 4 characters: `110101199003071234` → `110***********1234`.
    public static func maskIdentifier(_ id: String) -> String {
        let chars = Array(id)
        guard chars.count > 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
    }

    /// `13812345678` → `138****5678`.
    public static func maskPhone(_ phone: String) -> String {
        let digits = Array(phone)
        guard digits.count > 7 else { return String(repeating: "*", count: digits.count) }
        return String(digits.prefix(3)) + String(repeating: "*", count: digits.count - 7) + String(digits.suffix(4))
    }

    /// `li.wei@example.com` → `l*****@example.com`.
    public static func maskEmail(_ email: String) -> String {
        guard let at = email.firstIndex(of: "@") else { return maskName(email) }
        let local = email[..<at]
        return String(local.prefix(1)) + String(repeating: "*", count: max(local.count - 1, 1)) + email[at...]
    }

    /// The pseudonymous reference of a customer id: HMAC-SHA256 under `key`, hex, prefixed
    /// `cust-` and cut to 24 hex digits (96 bits).
    public static func pseudonym(of id: String, key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: key)
        let digits: StaticString = "0123456789abcdef"
        var hex: [UInt8] = [99, 117, 115, 116, 45]  // "cust-"
        for b in mac.prefix(12) {
            hex.append(digits.utf8Start[Int(b >> 4)])
            hex.append(digits.utf8Start[Int(b & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The pseudonymisation key: `BALLAST_PSEUDONYM_KEY` (any text of at least 16 bytes) if
    /// set, else the contents of `keyFile`, created with 32 random bytes on first use.
    ///
    /// A new key file is created atomically with mode 0600 (never readable by others, even for
    /// a moment) in a folder created with mode 0700, and an existing one is never overwritten.
    ///
    /// - Throws: an error naming the file or the variable when the key is shorter than 16
    ///   bytes or has fewer than 8 distinct bytes (such as `aaaaaaaaaaaaaaaa`), when the file
    ///   is readable by group or others, cannot be read or created, and when `keyFile` is
    ///   empty (no home folder and no key location configured).
    public static func pseudonymKey(keyFile: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> SymmetricKey
    {
        func failure(_ file: String, _ message: String) -> ProfilingError {
            ProfilingError(file: file, [ProfilingIssue("(file)", message)])
        }
        func checked(_ bytes: Data, _ source: String, _ fix: String) throws -> SymmetricKey {
            guard bytes.count >= 16 else {
                throw failure(source, "the pseudonymisation key is \(bytes.count) bytes, shorter than 16; \(fix)")
            }
            guard Set(bytes).count >= 8 else {
                throw failure(source, "the pseudonymisation key has too little variety (under 8 distinct bytes) to be secret; \(fix)")
            }
            return SymmetricKey(data: bytes)
        }
        if let text = environment["BALLAST_PSEUDONYM_KEY"], !text.isEmpty {
            return try checked(Data(text.utf8), "BALLAST_PSEUDONYM_KEY", "set a random value of 32 characters or more")
        }
        guard !keyFile.isEmpty else {
            throw failure(
                "pseudonymisation key", "no key location: HOME is not set; give --key-file FILE or set BALLAST_PSEUDONYM_KEY")
        }
        var st = stat()
        if stat(keyFile, &st) == 0 {
            if st.st_mode & 0o077 != 0 {
                throw failure(
                    keyFile,
                    "the pseudonymisation key is readable by other users (mode \(String(st.st_mode & 0o777, radix: 8))); run `chmod 600 \(keyFile)`"
                )
            }
            guard let data = FileManager.default.contents(atPath: keyFile) else {
                throw failure(
                    keyFile, "cannot read the pseudonymisation key (permission denied); it is never replaced, fix its owner or mode")
            }
            return try checked(data, keyFile, "it is never replaced (every pseudonym would change); restore the right key file")
        }
        // The folder part of the path (NSString's deletingLastPathComponent traps on a bare file name).
        let directory = keyFile.lastIndex(of: "/").map { $0 == keyFile.startIndex ? "/" : String(keyFile[..<$0]) } ?? ""
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw failure(
                    directory, "cannot create the folder of the pseudonymisation key; set BALLAST_PSEUDONYM_KEY or choose a writable path")
            }
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Array($0) }
        let fd = open(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return try pseudonymKey(keyFile: keyFile, environment: environment) }  // created meanwhile
            throw failure(
                keyFile,
                "cannot create the pseudonymisation key file (\(String(cString: strerror(errno)))); set BALLAST_PSEUDONYM_KEY or choose a writable path"
            )
        }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count && synced else {
            unlink(keyFile)
            throw failure(keyFile, "cannot write the pseudonymisation key file (\(String(cString: strerror(errno))))")
        }
        return key
    }
}
