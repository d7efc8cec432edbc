import ArgumentParser
import Ballast
import Foundation

/// Where audit records go: `--audit-db`, else `BALLAST_AUDIT_DB`, else `./ballast-audit.sqlite`;
/// `--no-audit` writes none.
struct AuditOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Audit database (default: $BALLAST_AUDIT_DB, else ./ballast-audit.sqlite).", valueName: "path"))
    var auditDb: String?
    @Flag(help: "Do not write an audit record.") var noAudit = false

    var path: String {
        auditDb ?? ProcessInfo.processInfo.environment["BALLAST_AUDIT_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "ballast-audit.sqlite"
    }

    @Option(
        help: ArgumentHelp(
            "Sign the trail's head at every append with this Ed25519 key (default: $BALLAST_AUDIT_SIGNING_KEY; see `audit keygen`).",
            valueName: "file"))
    var signingKey: String?

    /// The signing key file in effect, if any.
    var signingKeyPath: String? {
        signingKey ?? ProcessInfo.processInfo.environment["BALLAST_AUDIT_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The trail, or `nil` with `--no-audit`.
    func open() throws -> AuditTrail? {
        guard !noAudit else { return nil }
        return try AuditTrail(path: path, signingKey: try signingKeyPath.map { path throws(AuditError) in try AuditSigningKey(file: path) })
    }
}

/// Canonical JSON text of a value, for audit outputs.
func auditJSON(_ value: some Encodable) -> String { AuditDigest.canonicalJSON(value) }

/// `ballast audit`: read and check the trail.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List, show, export and verify the tamper-evident audit trail.",
        discussion: help("audit"),
        subcommands: [List.self, Show.self, Export.self, Verify.self, Keygen.self, Anchor.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List records (id, time, command, customer, account).",
            discussion: help("audit list")
        )
        @Option(help: ArgumentHelp("Only this pseudonymous customer reference.", valueName: "ref")) var customer: String?
        @Option(help: ArgumentHelp("Only records from this date on.", valueName: "date")) var since: MarketDate?
        @Option(help: ArgumentHelp("At most this many records.", valueName: "n")) var limit: Int?
        @OptionGroup var audit: AuditOptions
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() throws {
            try reportingErrors {
                let records = try AuditTrail(readOnlyAt: audit.path).list(customer: customer, since: since?.description, limit: limit)
                try output.emit(records, table: AuditScreen.list(records))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one record in full (JSON).", discussion: help("audit show"))
        @Argument(help: ArgumentHelp("The record's id.", valueName: "id")) var id: Int64
        @OptionGroup var audit: AuditOptions

        func run() throws {
            try reportingErrors {
                guard let r = try AuditTrail(readOnlyAt: audit.path).record(id: id) else {
                    throw InputFileError(description: "\(audit.path): no record \(id); `ballast audit list` shows the ids")
                }
                print(try ResultJSON.string(r))
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every record as JSON Lines, in order.",
            discussion: help("audit export"))
        @Option(help: ArgumentHelp("jsonl (one record per line).", valueName: "format")) var format: String = "jsonl"
        @OptionGroup var audit: AuditOptions

        func validate() throws { if format != "jsonl" { throw ValidationError("--format is jsonl") } }

        func run() throws {
            try reportingErrors {
                try AuditTrail(readOnlyAt: audit.path).exportJSONLines { FileHandle.standardOutput.write($0) }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every hash, link and Merkle root (and signatures and anchors); exit 1 naming the first broken record.",
            discussion: help("audit verify"))
        @Option(help: ArgumentHelp("Check the signed head with this public key (from `audit keygen`).", valueName: "file"))
        var publicKey: String?
        @Option(help: ArgumentHelp("Check the signed heads in this anchor file (from `audit anchor`).", valueName: "file"))
        var anchor: String?
        @OptionGroup var audit: AuditOptions
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() throws {
            let v = try reportingErrors {
                let key = try publicKey.map { path throws(AuditError) in try AuditPublicKey(file: path) }
                let anchors = try anchor.map { path throws(AuditError) in try AuditTrail.anchors(file: path) } ?? []
                return try AuditTrail(readOnlyAt: audit.path).verify(publicKey: key, anchors: anchors)
            }
            try output.emit(v, table: AuditScreen.verification(v, path: audit.path) + "\n")
            if !v.intact { throw ExitCode(ExitStatus.dataError) }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 key pair that signs the trail's head.",
            discussion: help("audit keygen"))
        @Option(help: ArgumentHelp("Where the private key goes (the public key goes to FILE.pub).", valueName: "file")) var out: String

        func run() throws {
            try reportingErrors {
                let key = AuditSigningKey()
                try key.write(to: out)
                print("\(out): audit signing key \(key.publicKey.id) (public key in \(out).pub)")
            }
        }
    }

    struct Anchor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the current head and append it to an anchor file (or print it for an external witness).",
            discussion: help("audit anchor"))
        @Option(help: ArgumentHelp("Append the signed head to this file (default: print it).", valueName: "file")) var anchor: String?
        @OptionGroup var audit: AuditOptions

        func run() throws {
            try reportingErrors {
                let head = try AuditTrail.anchor(database: audit.path, signingKeyFile: audit.signingKeyPath, anchorFile: anchor)
                if let anchor {
                    print("\(anchor): anchored \(head.count) records ending at \(head.lastId) (key \(head.keyId))")
                } else {
                    print(head.jsonLine)
                }
            }
        }
    }
}
