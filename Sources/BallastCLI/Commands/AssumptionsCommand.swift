import ArgumentParser
import Ballast
import Foundation

/// `ballast assumptions`: build, approve and compare capital-market assumptions.
struct AssumptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assumptions",
        abstract: "Build, approve and compare capital-market assumptions (expected returns and covariance per asset class).",
        subcommands: [AssumptionsBuildCommand.self, AssumptionsApproveCommand.self, AssumptionsDiffCommand.self]
    )
}

/// `ballast assumptions build`.
struct AssumptionsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a versioned assumptions file from a specification and the universe's data up to a date.",
        discussion: help("assumptions build")
    )

    @Option(help: ArgumentHelp("The specification (default: the bundled market-data/multi-asset/assumptions.json).", valueName: "file"))
    var spec = WorkflowInputs().assumptionsSpecification
    @Option(help: ArgumentHelp("Use data up to this date (default: the universe's last common date).", valueName: "date"))
    var asOf: MarketDate?
    @Option(name: .shortAndLong, help: ArgumentHelp("Write the assumptions file here (JSON).", valueName: "file")) var output: String?
    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var format: OutputOptions

    func run() throws {
        let a = try reportingErrors { () throws -> CapitalMarketAssumptions in
            let a = try AssumptionsBuilder(path: try bundled(spec)).build(asOf: asOf)
            var parameters = ["spec": spec]
            if let asOf { parameters["asOf"] = asOf.description }
            _ = try audit.open()?.append([a.auditEntry(.build, engineVersion: BallastVersion.current, parameters: parameters)])
            return a
        }
        let json = try a.fileText
        if let output {
            try reportingErrors { try writeFile(json, to: output) }
            if !format.quiet { printError("note: wrote \(output) (\(a.version), draft; approve it with `ballast assumptions approve`)") }
        }
        if let asOf, asOf > a.asOf, !format.quiet {
            printError("warning: the data end on \(a.asOf), before --as-of \(asOf); the assumptions are dated \(a.asOf)")
        }
        if format.format == .json {
            if output == nil { print(json, terminator: "") }
            return
        }
        if output != nil && format.quiet { return }
        print(InvestmentProcessText.assumptions(a), terminator: "")
    }
}

/// `ballast assumptions approve FILE --by NAME`.
struct AssumptionsApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve an assumptions file: record who approved it, when, and why.",
        discussion: help("assumptions approve")
    )

    @Argument(help: ArgumentHelp("The assumptions file.", valueName: "file")) var file: String
    @Option(help: ArgumentHelp("Who approves.", valueName: "name")) var by: String
    @Option(help: ArgumentHelp("A note for the record.", valueName: "text")) var note: String?
    @OptionGroup(title: "Audit trail") var audit: AuditOptions

    func validate() throws {
        if by.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--by needs the approver's name") }
    }

    func run() throws {
        try reportingErrors {
            let a = try CapitalMarketAssumptions.read(path: file).approved(by: by, note: note, file: file)
            try writeFile(try a.fileText, to: file)
            var parameters = ["file": file, "by": by]
            if let note { parameters["note"] = note }
            _ = try audit.open()?.append([a.auditEntry(.approve, engineVersion: BallastVersion.current, parameters: parameters)])
            print("approved \(a.version) (digest \(a.digest.prefix(12))) by \(by) at \(a.approval.approvedAt ?? "")")
        }
    }
}

/// `ballast assumptions diff A B`.
struct AssumptionsDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two assumptions files, per member and in the method.",
        discussion: help("assumptions diff")
    )

    @Argument(help: ArgumentHelp("The earlier assumptions file.", valueName: "before")) var before: String
    @Argument(help: ArgumentHelp("The later assumptions file.", valueName: "after")) var after: String
    @OptionGroup(title: "Output") var format: OutputOptions

    func run() throws {
        let d = try reportingErrors {
            AssumptionsDiff(try CapitalMarketAssumptions.read(path: before), try CapitalMarketAssumptions.read(path: after))
        }
        try format.emit(d, table: InvestmentProcessText.diff(d))
    }
}

/// Writes text to a file, with a message in the user's terms when it cannot.
func writeFile(_ text: String, to path: String) throws {
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw InvestmentProcessError(
            file: path, message: "cannot write the file (\(error.localizedDescription))",
            fix: "choose a folder you may write to")
    }
}
