import Foundation

/// A live run: typed logging, artifacts, and closing as finished or failed.
///
/// Metric points go into an in-memory buffer (an append under a lock: well under a microsecond) and a
/// background writer with its own SQLite connection flushes them in one transaction per batch (every
/// 4,096 points or half a second), and beats the heartbeat every 10 s. The training loop never waits on
/// the database. `finish` and `fail` flush everything first. SIGINT and SIGTERM close every open run as
/// failed ("interrupted") before the process exits.
public final class RunHandle: @unchecked Sendable {
    public let id: String
    public let record: RunRecord
    let seq: Int64
    unowned let ledger: Ledger
    private let writer: SQLiteDatabase
    private let queue: DispatchQueue
    private var buffer: [MetricPoint] = []
    private let lock = NSLock()
    private var timer: DispatchSourceTimer?
    private var closed = false
    private var lastHeartbeat = Date()
    /// Points written so far (for progress and tests).
    public private(set) var pointsWritten = 0
    static let batchSize = 4096
    static let backlogLimit = 1 << 20

    init(ledger: Ledger, record: RunRecord, seq: Int64) throws {
        self.ledger = ledger
        self.record = record
        self.id = record.id
        self.seq = seq
        writer = try SQLiteDatabase(path: ledger.path, create: false)
        try writer.exec("PRAGMA synchronous = NORMAL")
        queue = DispatchQueue(label: "lab.ledger.writer.\(record.id.prefix(8))")
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + 0.5, repeating: 0.5)
        t.setEventHandler { [weak self] in self?.tick() }
        t.resume()
        timer = t
        OpenRuns.shared.add(self)
    }

    deinit { timer?.cancel() }

    // MARK: Logging

    /// Records `value` of `key` at `step`. A later value for the same (key, step) replaces the earlier one.
    public func log(_ key: MetricKey, step: Int, _ value: Double) {
        lock.lock()
        buffer.append(MetricPoint(key: key.rawValue, step: Int64(step), value: value))
        let count = buffer.count
        lock.unlock()
        if count >= RunHandle.backlogLimit {
            // Backpressure: a producer far ahead of the disk waits instead of growing the buffer without bound.
            queue.sync { try? flush() }
        } else if count == RunHandle.batchSize {
            queue.async { [weak self] in try? self?.flush() }
        }
    }

    /// Records several metrics at one step.
    public func log(step: Int, _ values: [MetricKey: Double]) {
        for (k, v) in values.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { log(k, step: step, v) }
    }

    /// Records a file the run produced: its path, size and SHA-256 now. The path is stored relative to the
    /// ledger's directory or the repository root when the file lies inside one (see `Artifact`);
    /// `Ledger.artifacts` gives it back absolute.
    public func addArtifact(path: String, kind: String) throws {
        guard let (hash, size) = SHA256.file(path) else {
            throw LedgerError.invalid("cannot read artifact \(path)", hint: "log artifacts after writing them")
        }
        let a = ledger.portable(Artifact(path: Ledger.absolute(path), kind: kind, size: Int64(size), sha256: hash), runRoot: record.code.root)
        try queue.sync {
            try writer.run("INSERT INTO artifacts(run_seq, path, kind, size, sha256, relative_to) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(run_seq, path) DO UPDATE SET kind = excluded.kind, size = excluded.size, sha256 = excluded.sha256, relative_to = excluded.relative_to",
                           [.int(seq), .text(a.path), .text(kind), .int(Int64(size)), .text(hash), a.relativeTo.map { .text($0.rawValue) } ?? .null])
        }
    }

    /// Writes buffered points (on the writer queue).
    private func flush() throws {
        lock.lock()
        let batch = buffer
        buffer.removeAll(keepingCapacity: true)
        lock.unlock()
        guard !batch.isEmpty else { return }
        try writer.transaction {
            let st = try writer.prepare("INSERT INTO metrics(run_seq, key, step, value) VALUES (?, ?, ?, ?) ON CONFLICT(run_seq, key, step) DO UPDATE SET value = excluded.value")
            for p in batch {
                st.bindMetric(seq, p.key, p.step, p.value)
                while try st.step() {}
            }
        }
        pointsWritten += batch.count
    }

    private func tick() {
        try? flush()
        if Date().timeIntervalSince(lastHeartbeat) >= 10 {
            lastHeartbeat = Date()
            try? writer.run("UPDATE runs SET heartbeat_at = ? WHERE seq = ?", [.real(Date().timeIntervalSince1970), .int(seq)])
        }
    }

    // MARK: Closing

    /// Flushes everything and marks the run finished with its final summaries.
    /// Non-finite values (NaN, infinities) are left out of the stored summary: JSON cannot hold them, and a
    /// missing metric is reported as missing.
    public func finish(summary: [String: Double] = [:]) throws {
        try close(status: .finished, error: nil, summary: summary)
    }

    /// Flushes everything and marks the run failed with `reason`.
    public func fail(_ reason: String, summary: [String: Double] = [:]) throws {
        try close(status: .failed, error: reason, summary: summary)
    }

    func close(status: RunStatus, error: String?, summary: [String: Double]) throws {
        try queue.sync {
            guard !closed else { return }
            closed = true
            timer?.cancel()
            try flush()
            let now = Date().timeIntervalSince1970
            try writer.run("UPDATE runs SET status = ?, error = ?, ended_at = ?, heartbeat_at = ?, summary_json = ? WHERE seq = ?",
                           [.text(status.rawValue), error.map { .text($0) } ?? .null, .real(now), .real(now),
                            .text(Ledger.json(summary.filter { $0.value.isFinite })), .int(seq)])
        }
        OpenRuns.shared.remove(self)
    }

    /// Runs `body`; closes the run as finished with the summary it returns, or as failed with the error it
    /// throws (which is rethrown).
    public func run(_ body: (RunHandle) throws -> [String: Double]) throws {
        do {
            let summary = try body(self)
            try finish(summary: summary)
        } catch {
            try? fail("\(error)")
            throw error
        }
    }

    /// Flushes without closing (e.g. before reading the run back).
    public func sync() throws { try queue.sync { try flush() } }
}

/// Runs open in this process, closed as failed when a SIGINT or SIGTERM arrives.
final class OpenRuns: @unchecked Sendable {
    static let shared = OpenRuns()
    private var runs: [ObjectIdentifier: RunHandle] = [:]
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []

    func add(_ r: RunHandle) {
        lock.lock(); defer { lock.unlock() }
        runs[ObjectIdentifier(r)] = r
        if sources.isEmpty { installHandlers() }
    }

    func remove(_ r: RunHandle) {
        lock.lock(); defer { lock.unlock() }
        runs[ObjectIdentifier(r)] = nil
    }

    private func installHandlers() {
        for (sig, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let open = Array(self.runs.values)
                self.lock.unlock()
                for r in open { try? r.fail("interrupted by \(name)") }
                FileHandle.standardError.write(Data("\ninterrupted: \(open.count) open run(s) closed as failed\n".utf8))
                exit(128 + sig)
            }
            src.resume()
            sources.append(src)
        }
    }
}
