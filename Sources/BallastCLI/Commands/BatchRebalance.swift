import Ballast
import Dispatch
import Foundation

/// The batch mode of `ballast rebalance`: JSON Lines in, JSON Lines out, in input order.
///
/// Lines are read in chunks; each chunk is planned in parallel (`--jobs` workers), its results
/// written in input order and flushed, and a checkpoint (lines done, bytes written, counts)
/// saved next to the output with an atomic rename. After a crash (even `kill -9`),
/// `--resume` truncates the output to the last checkpoint and continues from the next line, so
/// every account appears exactly once. A bad line becomes an error record and the run goes on.
struct BatchRebalance {
    let input: String
    let output: String
    let errors: String?
    let jobs: Int
    let resume: Bool
    let quiet: Bool
    let planner: RebalancePlanner
    let targets: [String: [String: Double]]
    let prices: [String: Double]
    let asOf: MarketDate

    struct Counts: Codable {
        var lines = 0
        var rebalanced = 0
        var withinBand = 0
        var cashFlowOnly = 0
        var errors = 0
        var turnover = 0.0
        var cost = 0.0
    }

    struct Checkpoint: Codable {
        var linesDone: Int
        var bytesWritten: UInt64
        var errorBytesWritten: UInt64
        var counts: Counts
    }

    var checkpointPath: String { output + ".checkpoint" }

    /// Plans one input line; returns the output line and the error line, if any.
    func process(line: String, number: Int) -> (
        output: String, error: String?, status: PlanStatus, turnover: Double, cost: Double
    ) {
        func failure(_ id: String?, _ reason: String) -> (String, String?, PlanStatus, Double, Double) {
            var record: [String: Any] = ["line": number, "status": "error", "error": reason]
            if let id { record["accountId"] = id }
            let text =
                (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
                ?? "{\"status\":\"error\"}"
            return (text, text, .error, 0, 0)
        }
        let data = Data(line.utf8)
        let account: Account
        do {
            // The fast parser takes plain lines; anything else goes to JSONDecoder, whose errors
            // name the field.
            account = try Account.fastParse(line) ?? JSONDecoder().decode(Account.self, from: data)
        } catch let e as DecodingError {
            let id = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["id"] as? String
            let (field, message) = describe(e)
            return failure(id, "\(field): \(message)")
        } catch {
            return failure(nil, "not valid JSON")
        }
        guard let model = account.model else { return failure(account.id, "model: required") }
        guard let target = targets[model] else {
            return failure(account.id, "model \(model) is unknown; known models: \(targets.keys.sorted().joined(separator: ", "))")
        }
        do {
            let plan = try planner.plan(for: account, toward: target, at: prices, asOf: asOf)
            return (plan.jsonLine, nil, plan.status, plan.turnover, plan.estimatedCost)
        } catch let e as RebalanceError {
            return failure(account.id, (e.field.map { "\($0): " } ?? "") + e.message)
        } catch {
            return failure(account.id, "\(error)")
        }
    }

    func run() throws -> Counts {
        let fm = FileManager.default
        var counts = Counts()
        var skip = 0
        var outHandle: FileHandle
        var errHandle: FileHandle?
        let toStdout = output == "-"
        if toStdout {
            outHandle = FileHandle.standardOutput
        } else {
            var startAt: UInt64 = 0
            var errStartAt: UInt64 = 0
            if resume, let data = fm.contents(atPath: checkpointPath), let cp = try? JSONDecoder().decode(Checkpoint.self, from: data) {
                skip = cp.linesDone
                counts = cp.counts
                startAt = cp.bytesWritten
                errStartAt = cp.errorBytesWritten
            } else if resume, fm.fileExists(atPath: output) {
                throw InputFileError(
                    description:
                        "\(output): no checkpoint to resume from (the run finished, or never wrote one); remove --resume to start again")
            }
            if skip == 0 {
                guard fm.createFile(atPath: output, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw InputFileError(description: "\(output): cannot create the output file")
                }
            }
            guard let h = FileHandle(forUpdatingAtPath: output) else {
                throw InputFileError(description: "\(output): cannot open for writing")
            }
            try h.truncate(atOffset: startAt)
            try h.seek(toOffset: startAt)
            outHandle = h
            if let errors {
                if skip == 0 { _ = fm.createFile(atPath: errors, contents: nil, attributes: [.posixPermissions: 0o600]) }
                guard let e = FileHandle(forUpdatingAtPath: errors) else {
                    throw InputFileError(description: "\(errors): cannot open for writing")
                }
                try e.truncate(atOffset: errStartAt)
                try e.seek(toOffset: errStartAt)
                errHandle = e
            }
        }
        let reader: LineReader
        if input == "-" {
            reader = LineReader(handle: FileHandle.standardInput)
        } else {
            guard let h = FileHandle(forReadingAtPath: input) else { throw InputFileError(description: "\(input): no such file") }
            reader = LineReader(handle: h)
        }
        let chunkSize = 8192
        var lineNumber = 0
        let started = Date()
        let progress = !quiet && isatty(2) != 0
        while true {
            var chunk: [(Int, String)] = []
            while chunk.count < chunkSize, let line = reader.next() {
                lineNumber += 1
                if lineNumber <= skip { continue }
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                chunk.append((lineNumber, line))
            }
            if chunk.isEmpty { break }
            let lines = chunk
            var results = [(output: String, error: String?, status: PlanStatus, turnover: Double, cost: Double)?](
                repeating: nil, count: lines.count)
            let workers = max(1, jobs)
            let slice = (lines.count + workers - 1) / workers
            results.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                nonisolated(unsafe) let target = base
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let lo = w * slice
                    let hi = min(lines.count, lo + slice)
                    if lo >= hi { return }
                    for k in lo..<hi { target[k] = process(line: lines[k].1, number: lines[k].0) }
                }
            }
            var text = ""
            var errorText = ""
            text.reserveCapacity(chunk.count * 512)
            for r in results {
                guard let r else { continue }
                text += r.output + "\n"
                if let e = r.error { errorText += e + "\n" }
                counts.lines += 1
                counts.turnover += r.turnover
                counts.cost += r.cost
                switch r.status {
                case .rebalanced: counts.rebalanced += 1
                case .withinBand: counts.withinBand += 1
                case .cashFlowOnly: counts.cashFlowOnly += 1
                case .error: counts.errors += 1
                }
            }
            try outHandle.write(contentsOf: Data(text.utf8))
            if let errHandle, !errorText.isEmpty { try errHandle.write(contentsOf: Data(errorText.utf8)) }
            if !toStdout {
                try outHandle.synchronize()
                try errHandle?.synchronize()
                let cp = Checkpoint(
                    linesDone: lineNumber, bytesWritten: try outHandle.offset(), errorBytesWritten: try errHandle?.offset() ?? 0,
                    counts: counts)
                let temp = checkpointPath + ".tmp"
                try JSONEncoder().encode(cp).write(to: URL(fileURLWithPath: temp))
                _ = rename(temp, checkpointPath)
            }
            if progress {
                let rate = Double(counts.lines) / max(Date().timeIntervalSince(started), 1e-3)
                FileHandle.standardError.write(
                    Data(String(format: "\r%d accounts, %.0f/s, %d errors", counts.lines, rate, counts.errors).utf8))
            }
        }
        if progress { FileHandle.standardError.write(Data("\n".utf8)) }
        if !toStdout {
            try outHandle.close()
            try errHandle?.close()
            try? fm.removeItem(atPath: checkpointPath)
        }
        return counts
    }
}

/// Reads lines from a file handle in large blocks (constant memory).
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false

    init(handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 10) {
                var end = newline
                if end > position && buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return line
            }
            if atEnd {
                if position >= buffer.count { return nil }
                let line = String(decoding: buffer[position...], as: UTF8.self)
                position = buffer.count
                return line
            }
            // Keep the unread tail, then read the next block.
            buffer.removeFirst(position)
            position = 0
            let block = handle.readData(ofLength: 1 << 20)
            if block.isEmpty { atEnd = true } else { buffer.append(contentsOf: block) }
        }
    }
}
