import ArgumentParser
import Ballast
import Foundation

extension AuditError: UserFacingError {}
extension BatchRebalanceError: UserFacingError {}

/// Where audit records go: `--audit-db`, else `BALLAST_AUDIT_DB`, else `./ballast-audit.sqlite`;
/// `--no-audit` writes none.
struct AuditOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Audit database (default: $BALLAST_AUDIT_DB, else ./ballast-audit.sqlite).", valueName: "path"))
    var auditDb: String?

    @Flag(help: "Do not write an audit record.")
    var noAudit = false

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
        discussion: """
            Every profile, recommend, rebalance (one record per account), backtest, monitor, assumptions build
            and assumptions approve run appends a record:
            time, engine version, command, pseudonymous customer and account references, SHA-256 digests of
            every input, the parameters, the outputs, the suitability decision and the warnings. Each record
            holds the hash of the previous one, so `audit verify` finds an edited, deleted, inserted or
            reordered record and names the first broken one (exit 1).

            EXAMPLES
              ballast audit list --since 2026-11-01
              ballast audit show 42
              ballast audit export --format jsonl > trail.jsonl
              ballast audit verify
            """,
        subcommands: [List.self, Show.self, Export.self, Verify.self, Keygen.self, Anchor.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List records (id, time, command, customer, account).",
            discussion:
                "EXAMPLES\n  ballast audit list --customer cust-9943eaad3d116d4bb161cd59\n  ballast audit list --since 2026-11-30 --limit 20"
        )
        @Option(help: ArgumentHelp("Only this pseudonymous customer reference.", valueName: "ref")) var customer: String?
        @Option(help: ArgumentHelp("Only records from this date on.", valueName: "date")) var since: MarketDate?
        @Option(help: ArgumentHelp("At most this many records.", valueName: "n")) var limit: Int?
        @OptionGroup var audit: AuditOptions
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() throws {
            try reportingErrors {
                let records = try AuditTrail(readOnlyAt: audit.path).list(customer: customer, since: since?.description, limit: limit)
                if output.format == .json {
                    print(try ResultJSON.string(records))
                    return
                }
                print(AuditScreen.list(records), terminator: "")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one record in full (JSON).", discussion: "EXAMPLES\n  ballast audit show 42")
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
            discussion: "EXAMPLES\n  ballast audit export --format jsonl > trail.jsonl")
        @Option(help: ArgumentHelp("jsonl (one record per line).", valueName: "format")) var format: String = "jsonl"
        @OptionGroup var audit: AuditOptions

        func validate() throws { if format != "jsonl" { throw ValidationError("--format is jsonl") } }

        func run() throws {
            try reportingErrors {
                let e = JSONEncoder()
                e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                var buffer = Data()
                try AuditTrail(readOnlyAt: audit.path).forEachRecordWithAccounts { r, accounts in
                    buffer.append(try e.encode(r))
                    buffer.append(10)
                    // A batch block's account rows follow it, one line each.
                    for a in accounts {
                        buffer.append(try e.encode(AuditExportedAccount(block: r.id, a)))
                        buffer.append(10)
                    }
                    if buffer.count > 1 << 20 {
                        FileHandle.standardOutput.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                FileHandle.standardOutput.write(buffer)
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every hash, link and Merkle root (and signatures and anchors); exit 1 naming the first broken record.",
            discussion: """
                With --public-key the head stored at the last append must be signed by that key and state the chain
                as it is; with --anchor every signed head in the anchor file must still be in the chain (same record,
                same hash): a rewrite, a truncation or an older copy of the file fails.

                EXAMPLES
                  ballast audit verify
                  ballast audit verify --public-key audit.key.pub --anchor anchors.jsonl
                  ballast audit verify --audit-db /var/lib/ballast/audit.sqlite --format json
                """)
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
            if output.format == .json {
                print(try ResultJSON.string(v))
            } else {
                print(AuditScreen.verification(v, path: audit.path))
            }
            if !v.intact { throw ExitCode(ExitStatus.dataError) }
        }
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an Ed25519 key pair that signs the trail's head.",
            discussion: """
                Writes the private key to FILE (mode 0600, created so that it is never readable by others, even for a
                moment; an existing file is never replaced) and the public key to FILE.pub (shareable). Give the private
                key to the writers with --signing-key or BALLAST_AUDIT_SIGNING_KEY, the public key to auditors.

                EXAMPLES
                  ballast audit keygen --out /etc/ballast/audit.key
                """)
        @Option(help: ArgumentHelp("Where the private key goes (the public key goes to FILE.pub).", valueName: "file"))
        var out: String

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
            discussion: """
                Keep the anchor file where the database's writers cannot rewrite it (another machine, a write-once
                store, a witness); `audit verify --anchor FILE` then proves that nothing up to each anchored head was
                rewritten, truncated or replaced by an older copy.

                EXAMPLES
                  ballast audit anchor --signing-key audit.key --anchor /mnt/worm/anchors.jsonl
                  ballast audit anchor --signing-key audit.key | mail -s "audit head" witness@example.com
                """)
        @Option(help: ArgumentHelp("Append the signed head to this file (default: print it).", valueName: "file"))
        var anchor: String?
        @OptionGroup var audit: AuditOptions

        func run() throws {
            try reportingErrors {
                guard let keyPath = audit.signingKeyPath else {
                    throw AuditError("audit anchor needs the signing key: give --signing-key FILE or set BALLAST_AUDIT_SIGNING_KEY")
                }
                let key = try AuditSigningKey(file: keyPath)
                guard FileManager.default.fileExists(atPath: audit.path) else {
                    throw AuditError("\(audit.path): no audit database here; give its path with --audit-db or BALLAST_AUDIT_DB")
                }
                let head = try AuditTrail(path: audit.path).anchor(signingWith: key)
                if let anchor {
                    try AuditTrail.appendAnchor(head, to: anchor)
                    print("\(anchor): anchored \(head.count) records ending at \(head.lastId) (key \(head.keyId))")
                } else {
                    print(head.jsonLine)
                }
            }
        }
    }
}
