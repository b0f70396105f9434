import Foundation

/// The run store: a SQLite file (WAL, busy timeout; several processes may write at once) holding every
/// run with its config, status, metric series, artifacts, code state and environment.
///
/// Default location: `.lab/ledger.sqlite` at the root of the git repository containing the current
/// directory (or the current directory outside git); `LAB_DB` or an explicit path overrides it.
public final class Ledger: @unchecked Sendable {
    public let path: String
    /// The absolute directory holding the ledger file; artifacts inside it are stored relative to it.
    public let directory: String
    /// The working-tree root (trailing slash) of the repository holding the ledger, if any.
    let ledgerRepositoryRoot: String?
    let db: SQLiteDatabase
    let lock = NSLock()
    /// A `running` run without a heartbeat for this long reads as `crashed` (heartbeats come every 10 s).
    public static let heartbeatTimeout: Double = 120

    /// Opens or creates the ledger at `path` (creating its directory), applying migrations. Refuses a file
    /// that is corrupt, not a ledger, or from a newer schema, without modifying it.
    public init(path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        self.path = path
        directory = Ledger.absoluteDirectory(of: path)
        ledgerRepositoryRoot = GitRepository.open(containing: directory)?.workdir
        db = try SQLiteDatabase(path: path, create: true)
        try Migrations.prepare(db)
    }

    /// `explicit`, else `LAB_DB`, else `.lab/ledger.sqlite` at the repository root (or the current directory).
    public static func defaultPath(explicit: String? = nil, from directory: String = FileManager.default.currentDirectoryPath) -> String {
        if let explicit { return explicit }
        if let env = ProcessInfo.processInfo.environment["LAB_DB"], !env.isEmpty { return env }
        let root = (try? Git.capture(at: directory).state.root) ?? nil
        let base = root.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? directory
        return base + "/.lab/ledger.sqlite"
    }

    // MARK: Starting runs

    /// What identifies and configures a new run.
    public struct RunSpec {
        public var experiment: String
        public var cell: String
        public var seed: Int64
        public var config: JSONValue
        public var overrides: [String: String]
        public var parentID: String?
        /// How to run this cell again (for `lab reproduce`).
        public var rerun: RerunSpec?
        /// The numeric engine the run computes with (BLAS core, kernel ISA, threads), recorded in its
        /// environment. No default: the caller says what ran (`Engine.current` from the `Lab` module).
        public var engine: RunEnvironment.Engine

        /// `config` is any Encodable (the resolved typed config), stored as canonical JSON.
        public init<C: Encodable>(experiment: String, cell: String, seed: Int64, config: C, engine: RunEnvironment.Engine,
                                  overrides: [String: String] = [:], parentID: String? = nil, rerun: RerunSpec? = nil) throws {
            let data = try JSONEncoder().encode(config)
            self.config = try JSONDecoder().decode(JSONValue.self, from: data)
            self.experiment = experiment; self.cell = cell; self.seed = seed; self.overrides = overrides; self.parentID = parentID
            self.rerun = rerun; self.engine = engine
        }
    }

    /// Starts a run: captures the code state (libgit2) of the repository containing `directory` and the
    /// environment, inserts the run as `running`, and returns its handle. With `requireClean`, refuses
    /// to start on a dirty tree. Outside a git repository the run records that and `warn` is told.
    public func startRun(_ spec: RunSpec, directory: String = FileManager.default.currentDirectoryPath, requireClean: Bool = false,
                         warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }) throws -> RunHandle {
        let captured = try Git.capture(at: directory)
        let code = captured.state
        if !code.isRepository {
            warn("\(directory) is not inside a git repository: this run will not be tied to any commit")
        }
        if requireClean && code.dirty {
            var what: [String] = []
            if code.diffBytes > 0 { what.append("\(code.diffBytes) bytes of uncommitted changes") }
            if !code.untracked.isEmpty { what.append("\(code.untracked.count) untracked files, e.g. \(code.untracked[0].path)") }
            throw LedgerError.dirtyTree(what.joined(separator: ", "))
        }
        if requireClean && !code.isRepository { throw LedgerError.dirtyTree("not a git repository") }
        let env = RunEnvironment.capture(repositoryRoot: code.root.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }, engine: spec.engine)
        let now = Date().timeIntervalSince1970
        let record = RunRecord(id: UUID().uuidString.lowercased(), experiment: spec.experiment, cell: spec.cell, seed: spec.seed,
                               parentID: spec.parentID, config: spec.config, overrides: spec.overrides, status: .running, error: nil,
                               startedAt: now, endedAt: nil, heartbeatAt: now, host: ProcessInfo.processInfo.hostName,
                               pid: getpid(), code: code, environment: env, summary: [:], rerun: spec.rerun)
        let seq = try insert(record, patch: captured.patch)
        return try RunHandle(ledger: self, record: record, seq: seq)
    }

    /// Inserts a run row (and its patch blob); returns its local sequence number.
    func insert(_ r: RunRecord, patch: String?) throws -> Int64 {
        lock.lock(); defer { lock.unlock() }
        return try db.transaction { try insertLocked(r, patch: patch) }
    }

    /// `insert` for a caller that holds `lock` inside a transaction.
    func insertLocked(_ r: RunRecord, patch: String?) throws -> Int64 {
        if let patch, let sha = r.code.diffSHA256 {
            try db.run("INSERT OR IGNORE INTO blobs(sha256, content) VALUES (?, ?)", [.text(sha), .blob(Array(patch.utf8))])
        }
        try db.run("""
            INSERT INTO runs(id, experiment, cell, seed, parent_id, config_json, overrides_json, status, error, started_at,
                             ended_at, heartbeat_at, host, pid, commit_sha, dirty, code_json, env_json, summary_json, rerun_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(r.id), .text(r.experiment), .text(r.cell), .int(r.seed), r.parentID.map { .text($0) } ?? .null,
                   .text(r.config.canonicalText), .text(Ledger.json(r.overrides)), .text(r.status == .crashed ? "running" : r.status.rawValue),
                   r.error.map { .text($0) } ?? .null, .real(r.startedAt), r.endedAt.map { .real($0) } ?? .null,
                   r.heartbeatAt.map { .real($0) } ?? .null, .text(r.host), .int(Int64(r.pid)),
                   r.code.commit.map { .text($0) } ?? .null, .int(r.code.dirty ? 1 : 0), .text(Ledger.json(r.code)),
                   .text(Ledger.json(r.environment)), .text(Ledger.json(r.summary)), r.rerun.map { .text(Ledger.json($0)) } ?? .null])
        return try db.query("SELECT seq FROM runs WHERE id = ?", [.text(r.id)]).first?.first?.int ?? -1
    }

    static func json<T: Encodable>(_ v: T) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ t: T.Type, _ s: String?) throws -> T {
        guard let s else { throw LedgerError.invalid("missing JSON column", hint: "the ledger is damaged") }
        return try JSONDecoder().decode(T.self, from: Data(s.utf8))
    }

    // MARK: Reading runs

    /// A filter for `runs`.
    public struct Filter {
        public var experiment: String?
        public var status: RunStatus?
        public var commitPrefix: String?
        /// Only runs whose parent is this run id.
        public var parentID: String?
        public init(experiment: String? = nil, status: RunStatus? = nil, commitPrefix: String? = nil, parentID: String? = nil) {
            self.experiment = experiment; self.status = status; self.commitPrefix = commitPrefix; self.parentID = parentID
        }
    }

    static let runColumns = "seq, id, experiment, cell, seed, parent_id, config_json, overrides_json, status, error, started_at, ended_at, heartbeat_at, host, pid, code_json, env_json, summary_json, rerun_json"

    func decodeRun(_ row: [SQLValue]) throws -> (seq: Int64, run: RunRecord) {
        var r = RunRecord(id: row[1].string ?? "", experiment: row[2].string ?? "", cell: row[3].string ?? "", seed: row[4].int ?? 0,
                          parentID: row[5].string, config: try JSONValue.parse(row[6].string ?? "null"),
                          overrides: try Ledger.decode([String: String].self, row[7].string),
                          status: RunStatus(rawValue: row[8].string ?? "") ?? .failed, error: row[9].string,
                          startedAt: row[10].double ?? 0, endedAt: row[11].double, heartbeatAt: row[12].double,
                          host: row[13].string ?? "", pid: Int32(row[14].int ?? 0),
                          code: try Ledger.decode(CodeState.self, row[15].string),
                          environment: try Ledger.decode(RunEnvironment.self, row[16].string),
                          summary: try Ledger.decode([String: Double].self, row[17].string),
                          rerun: try row[18].string.map { try Ledger.decode(RerunSpec.self, $0) })
        if r.status == .running && Ledger.isGone(r) { r.status = .crashed }
        return (row[0].int ?? -1, r)
    }

    /// A running run whose process is gone: same host and the pid is not alive, or a stale heartbeat.
    static func isGone(_ r: RunRecord) -> Bool {
        if r.host == ProcessInfo.processInfo.hostName && kill(r.pid, 0) != 0 && errno == ESRCH { return true }
        if let hb = r.heartbeatAt, Date().timeIntervalSince1970 - hb > heartbeatTimeout { return true }
        return false
    }

    /// Runs, oldest first, matching `filter` (status `crashed` matches running runs whose process is gone).
    public func runs(_ filter: Filter = Filter()) throws -> [RunRecord] {
        var sql = "SELECT \(Ledger.runColumns) FROM runs WHERE 1 = 1"
        var args: [SQLValue] = []
        if let e = filter.experiment { sql += " AND experiment = ?"; args.append(.text(e)) }
        if let c = filter.commitPrefix { sql += " AND commit_sha LIKE ?"; args.append(.text(c.lowercased() + "%")) }
        if let p = filter.parentID { sql += " AND parent_id = ?"; args.append(.text(p)) }
        sql += " ORDER BY started_at, seq"
        lock.lock(); defer { lock.unlock() }
        var out = try db.query(sql, args).map { try decodeRun($0).run }
        if let s = filter.status { out = out.filter { $0.status == s } }
        return out
    }

    /// The run whose id starts with `prefix` (unique prefix required).
    public func run(_ prefix: String) throws -> RunRecord { try lookup(prefix).run }

    func lookup(_ prefix: String) throws -> (seq: Int64, run: RunRecord) {
        let p = prefix.lowercased()
        guard !p.isEmpty, p.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { throw LedgerError.notFound("'\(prefix)'") }
        lock.lock(); defer { lock.unlock() }
        let rows = try db.query("SELECT \(Ledger.runColumns) FROM runs WHERE id LIKE ? ORDER BY id LIMIT 6", [.text(p + "%")])
        if rows.isEmpty { throw LedgerError.notFound("'\(prefix)'") }
        if rows.count > 1 { throw LedgerError.ambiguous(prefix, candidates: rows.compactMap { $0[1].string }) }
        return try decodeRun(rows[0])
    }

    /// Every metric point of a run, by key then step.
    public func metrics(_ runID: String) throws -> [MetricPoint] {
        let seq = try lookup(runID).seq
        lock.lock(); defer { lock.unlock() }
        return try db.query("SELECT key, step, value FROM metrics WHERE run_seq = ? ORDER BY key, step", [.int(seq)]).map {
            MetricPoint(key: $0[0].string ?? "", step: $0[1].int ?? 0, value: $0[2].double ?? .nan)
        }
    }

    /// The files a run produced, with absolute paths usable on this machine: a stored relative path is
    /// resolved against this ledger's directory or the run's repository root (see `Artifact`).
    public func artifacts(_ runID: String) throws -> [Artifact] {
        let (seq, run) = try lookup(runID)
        return try storedArtifacts(seq).map { resolved($0, runRoot: run.code.root) }
    }

    /// A run's artifact rows as stored (portable paths, or absolute ones from before migration 003).
    func storedArtifacts(_ seq: Int64) throws -> [Artifact] {
        lock.lock(); defer { lock.unlock() }
        return try db.query("SELECT path, kind, size, sha256, relative_to FROM artifacts WHERE run_seq = ? ORDER BY path", [.int(seq)]).map {
            Artifact(path: $0[0].string ?? "", kind: $0[1].string ?? "", size: $0[2].int ?? 0, sha256: $0[3].string ?? "",
                     relativeTo: $0[4].string.flatMap(Artifact.Base.init(rawValue:)))
        }
    }

    /// The stored patch with this SHA-256, if any.
    public func patch(_ sha256: String) throws -> String? {
        lock.lock(); defer { lock.unlock() }
        guard let b = try db.query("SELECT content FROM blobs WHERE sha256 = ?", [.text(sha256)]).first?.first?.bytes else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    // MARK: Export and import (JSON Lines)

    /// Every run of `experiment` (or all), complete, oldest first, in the portable form of `exportRun`.
    public func export(experiment: String? = nil) throws -> [ExportedRun] {
        try runs(Filter(experiment: experiment)).map { try exportRun($0.id) }
    }

    /// One run, complete, as a record that reads the same on any clone: no absolute path of this machine.
    /// Artifact paths are relative to the ledger's directory or the repository root where the file lies
    /// inside one (absolute otherwise; see `Artifact`), and `code.root` (this machine's working-tree path)
    /// is left out (nil): a reader uses its own clone's root.
    public func exportRun(_ runID: String) throws -> ExportedRun {
        let (seq, r) = try lookup(runID)
        var run = r
        run.code.root = nil
        return ExportedRun(run: run, metrics: try metrics(r.id), artifacts: try storedArtifacts(seq).map { portable($0, runRoot: r.code.root) },
                           patch: try r.code.diffSHA256.flatMap { try patch($0) })
    }

    /// `item` as this ledger stores an imported run: `code.root` dropped (another machine's path), absolute
    /// artifact paths inside this ledger's directory (or the repository holding it) made relative.
    func portable(_ item: ExportedRun) -> ExportedRun {
        var out = item
        out.run.code.root = nil
        out.artifacts = item.artifacts.map { portable($0, runRoot: nil) }
        return out
    }

    /// Imports runs, from records with portable paths or (older exports) absolute ones: see `portable`.
    /// A run already present with identical content is skipped; one present with different content is
    /// refused (nothing is overwritten). All or nothing. Returns (imported, skipped).
    @discardableResult
    public func importRuns(_ records: [ExportedRun]) throws -> (imported: Int, skipped: Int) {
        var imported = 0, skipped = 0
        let items = records.map { portable($0) }
        for item in items {
            if let sha = item.run.code.diffSHA256, let p = item.patch, SHA256.hex(Array(p.utf8)) != sha {
                throw LedgerError.importConflict("run \(item.run.id): its patch does not match its recorded SHA-256")
            }
        }
        var pending: [ExportedRun] = []
        for item in items {
            if let existing = try? lookup(item.run.id), existing.run.id == item.run.id {
                let mine = try exportRun(item.run.id)
                var theirs = item
                if theirs.run.status == .crashed { theirs.run.status = .running }
                var mineCmp = mine
                if mineCmp.run.status == .crashed { mineCmp.run.status = .running }
                if mineCmp == theirs { skipped += 1; continue }
                throw LedgerError.importConflict("run \(item.run.id) exists here with different content")
            }
            pending.append(item)
        }
        lock.lock(); defer { lock.unlock() }
        try db.transaction {
            let st = try db.prepare("INSERT INTO metrics(run_seq, key, step, value) VALUES (?, ?, ?, ?) ON CONFLICT(run_seq, key, step) DO UPDATE SET value = excluded.value")
            for item in pending {
                // `crashed` is a read-time state; insertLocked stores such a run as it was written (running).
                let seq = try insertLocked(item.run, patch: item.patch)
                for m in item.metrics {
                    st.bindMetric(seq, m.key, m.step, m.value)
                    while try st.step() {}
                }
                for a in item.artifacts {
                    try db.run("INSERT INTO artifacts(run_seq, path, kind, size, sha256, relative_to) VALUES (?, ?, ?, ?, ?, ?)",
                               [.int(seq), .text(a.path), .text(a.kind), .int(a.size), .text(a.sha256),
                                a.relativeTo.map { .text($0.rawValue) } ?? .null])
                }
                imported += 1
            }
        }
        return (imported, skipped)
    }
}
