import Ballast
import Crypto
import Dispatch
import Foundation

/// The batch mode of `ballast rebalance`: JSON Lines in, JSON Lines out, in input order.
///
/// Input is read in blocks of whole lines; each block is planned in parallel (`--jobs`
/// workers, each with its own output buffer) while a writer thread writes the previous block
/// in input order. After each block the writer saves a checkpoint next to the output (lines
/// done, bytes written, counts, and a fingerprint of the output's last bytes) with an atomic
/// rename. After a killed process (even `kill -9`), `--resume` checks the fingerprint,
/// truncates the output to the checkpoint and continues from the next line, so every account
/// appears exactly once. With `--fsync` the output is also flushed to disk before each
/// checkpoint, so that the same holds after the machine itself stops. A bad line becomes an
/// error record and the run goes on.
struct BatchRebalance {
    let input: String
    let output: String
    let errors: String?
    let jobs: Int
    let resume: Bool
    let durable: Bool
    let quiet: Bool
    let planner: RebalancePlanner
    let targets: [String: [String: Double]]
    let prices: [String: Double]
    let asOf: MarketDate
    /// The audit trail, the pseudonymisation key and the run's parameters (nil: no audit).
    var audit: BatchAudit?

    /// What a batch run records: a run record with the shared inputs, then one record per
    /// account (line digest, plan digest, status) pointing at it.
    struct BatchAudit: Sendable {
        let trail: AuditTrail
        let key: [UInt8]
        let inputs: [String: String]
        let parameters: [String: String]

        func accountRef(_ id: String) -> String {
            "acct-" + Privacy.pseudonym(of: "account:" + id, key: SymmetricKey(data: key)).dropFirst(5)
        }
    }

    struct Counts: Codable {
        var lines = 0
        var rebalanced = 0
        var withinBand = 0
        var cashFlowOnly = 0
        var belowMinimumTrade = 0
        var errors = 0
        var turnover = 0.0
        var cost = 0.0
    }

    struct Checkpoint: Codable {
        var linesDone: Int
        var bytesWritten: UInt64
        var errorBytesWritten: UInt64
        /// FNV-1a of the last (up to 4096) bytes before `bytesWritten` / `errorBytesWritten`.
        var outputTail: UInt64
        var errorTail: UInt64
        var counts: Counts
    }

    var checkpointPath: String { output + ".checkpoint" }
    var absoluteOutput: String { URL(fileURLWithPath: output).standardizedFileURL.path }

    /// Plans one input line; returns the output line and the error line, if any.
    func process(line: String, number: Int) -> (
        output: String, error: String?, status: PlanStatus, turnover: Double, cost: Double, accountId: String?
    ) {
        func failure(_ id: String?, _ reason: String) -> (String, String?, PlanStatus, Double, Double, String?) {
            let text = Self.errorRecord(line: number, accountId: id, reason)
            return (text, text, .error, 0, 0, id)
        }
        let account: Account
        do throws(RebalanceError) {
            // Lines the batch planner declined: the strict reader's errors name the field or the column.
            account = try Account.decode(json: line.utf8)
            try account.validate(asOf: asOf, lotSizes: planner.lotSizes, fractionalDecimals: planner.policy.fractionalDecimals)
        } catch {
            let id = error.accountId ?? Self.readableId(line)
            return failure(id, (error.field.map { "\($0): " } ?? "") + error.message)
        }
        guard let model = account.model else { return failure(account.id, "model: required") }
        guard let target = targets[model] else {
            return failure(account.id, "model \(model) is unknown; known models: \(targets.keys.sorted().joined(separator: ", "))")
        }
        do {
            let plan = try planner.plan(for: account, toward: target, at: prices, asOf: asOf)
            return (plan.jsonLine, nil, plan.status, plan.turnover, plan.estimatedCost, account.id)
        } catch {
            return failure(account.id, (error.field.map { "\($0): " } ?? "") + error.message)
        }
    }

    /// An error record: `{"accountId", "error", "line", "status": "error"}` with sorted keys.
    static func errorRecord(line number: Int, accountId id: String?, _ reason: String) -> String {
        var record: [String: Any] = ["line": number, "status": "error", "error": reason]
        if let id { record["accountId"] = id }
        return (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
            ?? "{\"status\":\"error\"}"
    }

    /// The id of a line that cannot be planned, when its top-level `id` can be read at all.
    static func readableId(_ line: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
    }

    /// The account id a line stands for in the duplicate check: the id of its plan or error
    /// record, computed the same way for the lines before a resume's checkpoint.
    func identity(of line: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: line, as: UTF8.self)
        do throws(RebalanceError) { return try Account.decode(json: line).id } catch { return error.accountId ?? Self.readableId(text) }
    }

    /// One input line of a block, as the writer needs it for the duplicate-id check.
    struct LineInfo {
        /// The offset in the part's output just after this line's record (and newline).
        var end: Int
        var id: String?
        var number: Int
        /// `nil` for a line before a resume's checkpoint (its id only, no output).
        var status: PlanStatus?
        var turnover: Double
        var cost: Double
    }

    /// What one worker produced for its share of a block.
    final class Part: @unchecked Sendable {
        let output = ByteSink(capacity: 4 << 20)
        let errors = ByteSink(capacity: 1 << 12)
        var counts = Counts()
        var scratch = BatchPlanner.Scratch()
        var entries: [AuditEntry] = []
        var lines: [LineInfo] = []
    }

    /// Writes blocks in order on its own thread, keeps the counts, saves checkpoints.
    final class Writer: @unchecked Sendable {
        let out: FileHandle
        let err: FileHandle?
        let checkpointPath: String?
        let durable: Bool
        let audit: AuditTrail?
        let outputPath: String
        var counts: Counts
        var outTail: [UInt8]
        var errTail: [UInt8]
        var failure: Error?
        let queue = DispatchQueue(label: "ballast.batch.writer")
        /// The line of each account id's first occurrence (the duplicate check; see `replaceDuplicates`).
        var firstLine: [String: Int] = [:]

        init(
            out: FileHandle, err: FileHandle?, checkpointPath: String?, durable: Bool, audit: AuditTrail?, outputPath: String,
            counts: Counts,
            outTail: [UInt8], errTail: [UInt8]
        ) {
            self.audit = audit
            self.outputPath = outputPath
            self.out = out
            self.err = err
            self.checkpointPath = checkpointPath
            self.durable = durable
            self.counts = counts
            self.outTail = outTail
            self.errTail = errTail
        }

        static func keepTail(_ tail: inout [UInt8], _ bytes: UnsafeRawBufferPointer) {
            if bytes.count >= 4096 {
                tail = Array(bytes[(bytes.count - 4096)...])
            } else if bytes.count > 0 {
                tail.append(contentsOf: bytes)
                if tail.count > 4096 { tail.removeFirst(tail.count - 4096) }
            }
        }

        /// Turns every later occurrence of an account id into an error record naming the line of
        /// the first, in input order (the first is planned as usual; a line that failed for
        /// another reason keeps its own error). Lines before a resume's checkpoint only register
        /// their ids. Rare: parts without duplicates are left as they are.
        func replaceDuplicates(_ part: Part) {
            var duplicates: [(Int, Int)] = []  // (index in part.lines, first line)
            for (k, l) in part.lines.enumerated() {
                guard let id = l.id else { continue }
                if let first = firstLine[id] {
                    if l.status != nil && l.status != .error { duplicates.append((k, first)) }
                } else {
                    firstLine[id] = l.number
                }
            }
            guard !duplicates.isEmpty else { return }
            let old = Array(part.output.bytes)
            let oldErrors = Array(part.errors.bytes).split(separator: 10, omittingEmptySubsequences: false)
            var nextError = 0
            part.output.removeAll()
            part.errors.removeAll()
            var start = 0
            var d = 0
            var entry = -1  // audit entries exist for planned lines only
            for (k, l) in part.lines.enumerated() {
                defer { start = l.end }
                guard l.status != nil else { continue }
                entry += 1
                if d < duplicates.count && duplicates[d].0 == k {
                    let first = duplicates[d].1
                    d += 1
                    var record = BatchRebalance.errorRecord(
                        line: l.number, accountId: l.id,
                        "id: account \(l.id!) is already in the book at line \(first); give each account one line (this one is not planned)"
                    )
                    record.withUTF8 { part.output.append(UnsafeRawBufferPointer($0)) }
                    part.output.append(10)
                    record.withUTF8 { part.errors.append(UnsafeRawBufferPointer($0)) }
                    part.errors.append(10)
                    part.counts.errors += 1
                    part.counts.turnover -= l.turnover
                    part.counts.cost -= l.cost
                    switch l.status! {
                    case .rebalanced: part.counts.rebalanced -= 1
                    case .withinBand: part.counts.withinBand -= 1
                    case .cashFlowOnly: part.counts.cashFlowOnly -= 1
                    case .belowMinimumTrade: part.counts.belowMinimumTrade -= 1
                    case .error: break
                    }
                    if entry < part.entries.count {
                        part.entries[entry].outputs = "{\"duplicateOfLine\":\(first),\"status\":\"error\"}"
                    }
                    continue
                }
                old[start..<l.end].withUnsafeBytes { part.output.append($0) }
                if l.status == .error && nextError < oldErrors.count {
                    Array(oldErrors[nextError]).withUnsafeBytes { part.errors.append($0) }
                    part.errors.append(10)
                    nextError += 1
                }
            }
        }

        /// Writes the parts of one block, then records that the input up to `linesDone` is done.
        func write(_ parts: [Part], linesDone: Int) {
            guard failure == nil else { return }
            do {
                for part in parts {
                    replaceDuplicates(part)
                    try out.write(contentsOf: part.output.bytes)
                    Self.keepTail(&outTail, part.output.bytes)
                    if let err, part.errors.count > 0 {
                        try err.write(contentsOf: part.errors.bytes)
                        Self.keepTail(&errTail, part.errors.bytes)
                    }
                    counts.add(part.counts)
                }
                guard let checkpointPath else {
                    // A pipe stage has no checkpoint, but its accounts are recorded all the same.
                    if let audit { try audit.append(parts.flatMap(\.entries)) }
                    return
                }
                if durable {
                    try out.synchronize()
                    try err?.synchronize()
                }
                let cp = Checkpoint(
                    linesDone: linesDone, bytesWritten: try out.offset(), errorBytesWritten: try err?.offset() ?? 0,
                    outputTail: fnv1a(outTail), errorTail: fnv1a(errTail), counts: counts)
                if let audit {
                    // The block's records and the progress that covers them commit together.
                    try audit.append(
                        parts.flatMap(\.entries), progress: (outputPath, String(decoding: try JSONEncoder().encode(cp), as: UTF8.self)))
                }
                let temp = checkpointPath + ".tmp"
                try JSONEncoder().encode(cp).write(to: URL(fileURLWithPath: temp))
                guard rename(temp, checkpointPath) == 0 else {
                    throw InputFileError(description: "\(checkpointPath): cannot save the checkpoint (\(String(cString: strerror(errno))))")
                }
            } catch {
                failure = error
            }
        }
    }

    /// Opens an output for a fresh run or for `--resume` at `offset`, checking that the bytes
    /// before the offset are the ones the checkpoint saw; returns the handle and its tail.
    func open(_ path: String, at offset: UInt64, tail expected: UInt64?) throws -> (FileHandle, [UInt8]) {
        let fm = FileManager.default
        if expected == nil {
            guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw InputFileError(description: "\(path): cannot create the file")
            }
        }
        guard let h = FileHandle(forUpdatingAtPath: path) else { throw InputFileError(description: "\(path): cannot open for writing") }
        var tail: [UInt8] = []
        if let expected {
            let size = try h.seekToEnd()
            let start = offset - min(offset, 4096)
            try h.seek(toOffset: start)
            tail = size >= offset ? Array(try h.read(upToCount: Int(offset - start)) ?? Data()) : []
            guard size >= offset, fnv1a(tail) == expected else {
                throw InputFileError(
                    description:
                        "\(path): does not hold what the checkpoint recorded (the machine may have stopped before the output "
                        + "reached the disk); run again without --resume, and use --fsync to make checkpoints survive that")
            }
        }
        try h.truncate(atOffset: offset)
        try h.seek(toOffset: offset)
        return (h, tail)
    }

    func run() throws -> Counts {
        let fm = FileManager.default
        var counts = Counts()
        var skip = 0
        let outHandle: FileHandle
        var errHandle: FileHandle?
        var outTail: [UInt8] = []
        var errTail: [UInt8] = []
        let toStdout = output == "-"
        if toStdout {
            outHandle = FileHandle.standardOutput
        } else {
            var checkpoint: Checkpoint?
            if resume {
                if let data = fm.contents(atPath: checkpointPath) {
                    guard let cp = try? JSONDecoder().decode(Checkpoint.self, from: data) else {
                        throw InputFileError(description: "\(checkpointPath): not a checkpoint of this version; run again without --resume")
                    }
                    checkpoint = cp
                } else if fm.fileExists(atPath: output) {
                    throw InputFileError(
                        description:
                            "\(output): no checkpoint to resume from (the run finished, or never wrote one); remove --resume to start again"
                    )
                }
            }
            if resume, let audit, let text = try audit.trail.batchProgress(output: absoluteOutput),
                let cp = try? JSONDecoder().decode(Checkpoint.self, from: Data(text.utf8)), cp.linesDone > (checkpoint?.linesDone ?? -1),
                checkpoint != nil || fm.fileExists(atPath: output)
            {
                // The audit records of a block and its progress commit together; the checkpoint
                // file is renamed just after. When the process died between the two, the
                // database is the later (and consistent) one.
                checkpoint = cp
            }
            if let cp = checkpoint {
                skip = cp.linesDone
                counts = cp.counts
            }
            (outHandle, outTail) = try open(output, at: checkpoint?.bytesWritten ?? 0, tail: checkpoint?.outputTail)
            if let errors {
                let resumeErrors = checkpoint != nil && fm.fileExists(atPath: errors)
                (errHandle, errTail) = try open(
                    errors, at: resumeErrors ? checkpoint!.errorBytesWritten : 0, tail: resumeErrors ? checkpoint!.errorTail : nil)
            }
        }
        let inputHandle: FileHandle
        var inputSize: UInt64?
        if input == "-" {
            inputHandle = FileHandle.standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: input) else { throw InputFileError(description: "\(input): no such file") }
            inputHandle = h
            inputSize = (try? fm.attributesOfItem(atPath: input)[.size] as? NSNumber)?.uint64Value
        }
        let fast = try? BatchPlanner(planner: planner, targets: targets, prices: prices, asOf: asOf)
        let workers = max(1, jobs)
        let auditTrail = audit?.trail
        var runNumber = ""
        if let audit {
            runNumber = String(
                try audit.trail.append([
                    AuditEntry(
                        command: "rebalance-batch", engineVersion: BallastVersion.current, inputs: audit.inputs,
                        parameters: audit.parameters.merging(["resumedAtLine": String(skip)]) { $1 }, outputs: "{}")
                ])[0])
        }
        let writer = Writer(
            out: outHandle, err: errHandle, checkpointPath: toStdout ? nil : checkpointPath, durable: durable, audit: auditTrail,
            outputPath: absoluteOutput, counts: counts, outTail: outTail, errTail: errTail)
        let audit = self.audit
        let runId = runNumber
        let blockTime = AuditEntry.timestamp(Date())
        // Two sets of parts: the workers fill one while the writer empties the other.
        let sets = [(0..<workers).map { _ in Part() }, (0..<workers).map { _ in Part() }]
        let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]
        var current = 0
        let progress = !quiet && isatty(2) != 0
        let started = Date()
        var lastReport = started
        var linesRead = 0
        var bytesRead: UInt64 = 0
        var buffer: [UInt8] = []
        var atEnd = false
        var starts: [Int] = []
        var ends: [Int] = []
        var numbers: [Int] = []
        var idOnly: [Bool] = []
        while !atEnd {
            // Read a block and cut it into whole lines; the unfinished tail waits for the next.
            // read(2) returns what is there: a pipe's lines are planned as they arrive.
            let got = try readBlock(inputHandle.fileDescriptor, into: &buffer, upTo: 4 << 20)
            if got == 0 { atEnd = true }
            bytesRead += UInt64(got)
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            numbers.removeAll(keepingCapacity: true)
            idOnly.removeAll(keepingCapacity: true)
            var consumed = 0
            buffer.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                var p = 0
                while p < b.count {
                    let hit = memchr(base + p, 10, b.count - p)
                    guard hit != nil || atEnd else { break }
                    let newline = hit.map { $0.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base) } ?? b.count
                    var end = newline
                    if end > p && b[end - 1] == 13 { end -= 1 }
                    linesRead += 1
                    var blank = true
                    for k in p..<end where b[k] != 32 && b[k] != 9 {
                        blank = false
                        break
                    }
                    if !blank {
                        // Lines before a resume's checkpoint only give their ids to the duplicate check.
                        starts.append(p)
                        ends.append(end)
                        numbers.append(linesRead)
                        idOnly.append(linesRead <= skip)
                    }
                    p = min(newline + 1, b.count)
                }
                consumed = p
            }
            if let failure = writer.failure { throw failure }
            let parts = sets[current]
            free[current].wait()
            let count = starts.count
            let slice = (count + workers - 1) / workers
            let (s, e, nums, only) = (starts, ends, numbers, idOnly)
            buffer.withUnsafeBufferPointer { b in
                nonisolated(unsafe) let bytes = b
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let part = parts[w]
                    part.output.removeAll()
                    part.errors.removeAll()
                    part.counts = Counts()
                    part.entries.removeAll(keepingCapacity: true)
                    part.lines.removeAll(keepingCapacity: true)
                    let lo = w * slice
                    let hi = min(count, lo + slice)
                    guard lo < hi else { return }
                    for k in lo..<hi {
                        let line = UnsafeBufferPointer(rebasing: bytes[s[k]..<e[k]])
                        if only[k] {
                            part.lines.append(
                                LineInfo(
                                    end: part.output.count, id: identity(of: line), number: nums[k], status: nil,
                                    turnover: 0, cost: 0))
                            continue
                        }
                        let status: PlanStatus
                        var lineTurnover = 0.0
                        var lineCost = 0.0
                        let outputStart = part.output.count
                        var accountId: String?
                        if let o = fast?.plan(line: line, into: part.output, scratch: &part.scratch) {
                            accountId = o.accountId
                            status = o.status
                            (lineTurnover, lineCost) = (o.turnover, o.estimatedCost)
                        } else {
                            let r = process(line: String(decoding: line, as: UTF8.self), number: nums[k])
                            var text = r.output
                            text.withUTF8 { part.output.append(UnsafeRawBufferPointer($0)) }
                            if var error = r.error {
                                error.withUTF8 { part.errors.append(UnsafeRawBufferPointer($0)) }
                                part.errors.append(10)
                            }
                            status = r.status
                            accountId = r.accountId
                            (lineTurnover, lineCost) = (r.turnover, r.cost)
                        }
                        if let audit {
                            let plan = UnsafeRawBufferPointer(rebasing: part.output.bytes[outputStart..<part.output.count])
                            part.entries.append(
                                AuditEntry(
                                    command: "rebalance", engineVersion: BallastVersion.current,
                                    accountRef: accountId.map(audit.accountRef),
                                    inputs: ["account": AuditEntry.digest(UnsafeRawBufferPointer(line))],
                                    parameters: ["run": runId, "line": String(nums[k])],
                                    outputs: "{\"plan\":\"" + AuditEntry.digest(plan) + "\",\"status\":\"" + status.rawValue + "\"}",
                                    timestamp: blockTime))
                        }
                        part.output.append(10)
                        part.counts.turnover += lineTurnover
                        part.counts.cost += lineCost
                        part.lines.append(
                            LineInfo(
                                end: part.output.count, id: accountId, number: nums[k], status: status, turnover: lineTurnover,
                                cost: lineCost))
                        part.counts.lines += 1
                        switch status {
                        case .rebalanced: part.counts.rebalanced += 1
                        case .withinBand: part.counts.withinBand += 1
                        case .cashFlowOnly: part.counts.cashFlowOnly += 1
                        case .belowMinimumTrade: part.counts.belowMinimumTrade += 1
                        case .error: part.counts.errors += 1
                        }
                    }
                }
            }
            buffer.removeFirst(consumed)
            let done = linesRead
            let release = free[current]
            let report = progress && (Date().timeIntervalSince(lastReport) >= 0.25 || atEnd)
            if report { lastReport = Date() }
            let (read, size) = (bytesRead, inputSize)
            writer.queue.async {
                writer.write(parts, linesDone: done)
                release.signal()
                if report {
                    FileHandle.standardError.write(
                        Data(progressLine(counts: writer.counts, bytesRead: read, of: size, since: started).utf8))
                }
            }
            current = 1 - current
        }
        writer.queue.sync {}
        if let failure = writer.failure { throw failure }
        if progress { FileHandle.standardError.write(Data("\n".utf8)) }
        if !toStdout {
            if durable {
                // A finished durable run is on disk before it reports success.
                try outHandle.synchronize()
                try errHandle?.synchronize()
            }
            try outHandle.close()
            try errHandle?.close()
            try? fm.removeItem(atPath: checkpointPath)
            try auditTrail?.clearBatchProgress(output: absoluteOutput)
        }
        return writer.counts
    }

    /// `\r1234567 accounts, 250000/s, 3 errors, ETA 0:04` (no ETA when reading a pipe).
    func progressLine(counts: Counts, bytesRead: UInt64, of size: UInt64?, since started: Date) -> String {
        let elapsed = max(Date().timeIntervalSince(started), 1e-3)
        let rate = Int((Double(counts.lines) / elapsed).rounded())
        var text = "\r\(counts.lines) accounts, \(rate)/s, \(counts.errors) errors"
        if let size, size > 0, bytesRead > 0 {
            let remaining = elapsed * Double(size - min(size, bytesRead)) / Double(bytesRead)
            let seconds = Int(remaining.rounded())
            text += ", ETA \(seconds / 60):" + (seconds % 60 < 10 ? "0" : "") + "\(seconds % 60)"
        }
        return text + "   "
    }
}

/// Appends up to `limit` bytes read from `fd` to `buffer`; 0 at the end of the input.
func readBlock(_ fd: Int32, into buffer: inout [UInt8], upTo limit: Int) throws -> Int {
    let old = buffer.count
    buffer.append(contentsOf: repeatElement(0, count: limit))
    var got = 0
    while true {
        got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, limit) }
        if got >= 0 || errno != EINTR { break }
    }
    buffer.removeLast(limit - max(got, 0))
    if got < 0 { throw InputFileError(description: "cannot read the accounts: \(String(cString: strerror(errno)))") }
    return got
}

/// FNV-1a, 64 bits.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

extension BatchRebalance.Counts {
    mutating func add(_ o: Self) {
        lines += o.lines
        rebalanced += o.rebalanced
        withinBand += o.withinBand
        cashFlowOnly += o.cashFlowOnly
        belowMinimumTrade += o.belowMinimumTrade
        errors += o.errors
        turnover += o.turnover
        cost += o.cost
    }
}
