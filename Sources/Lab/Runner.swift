import Foundation
import Ledger
import Reports
import Tensor

/// Runs a grid: each cell becomes a ledger run (config, seed, per-step metrics, final metrics, artifacts,
/// provenance), in order, with progress and an ETA. A cell already finished at the same commit (and the
/// same uncommitted diff) with the same config is not run again: its stored run is reused (resume).
/// Under `lab reproduce` (`LAB_PARENT_RUN` set) the selected cells always run, recorded with that parent.
public final class Runner {
    public let experiment: String
    public let options: LabOptions
    public let ledger: Ledger
    let code: CapturedCode
    let reproductionParent = RerunSpec.reproductionParent
    let start = Date()
    /// Final metrics that differ between identical runs (timings); `lab reproduce` reports but does not compare them.
    public var nondeterministicMetrics: [String] = ["seconds", "tokens_per_s"]

    /// What a cell's body gets: its run, the runs it depends on, a directory for its artifacts, progress.
    public final class Context {
        public let run: RunHandle
        public let cell: GridCell
        /// The finished runs this cell depends on, by cell.
        public let dependencies: [CellKey: RunRecord]
        /// `<ledger directory>/artifacts/<experiment>/<run id>`, created.
        public let directory: URL
        let report: (Int, Int, String) -> Void
        let ledger: Ledger
        init(run: RunHandle, ledger: Ledger, cell: GridCell, dependencies: [CellKey: RunRecord], directory: URL, report: @escaping (Int, Int, String) -> Void) {
            self.run = run; self.ledger = ledger; self.cell = cell; self.dependencies = dependencies; self.directory = directory; self.report = report
        }
        /// Reports progress inside the cell (printed at most every few seconds, with the cell's and the grid's ETA).
        public func progress(step: Int, of total: Int, _ message: String) { report(step, total, message) }
        /// The path of the dependency's artifact of `kind` (e.g. "checkpoint").
        public func artifact(of key: CellKey, kind: String) throws -> String {
            guard let r = dependencies[key] else { throw LabError.cell("no finished run for \(key)", hint: "run the grid without --only") }
            guard let a = try ledger.artifacts(r.id).first(where: { $0.kind == kind }) else {
                throw LabError.cell("run \(r.id.prefix(8)) (\(key)) has no \(kind) artifact", hint: "rerun it with --force")
            }
            guard FileManager.default.fileExists(atPath: a.path) else {
                throw LabError.cell("the \(kind) of run \(r.id.prefix(8)) (\(key)) is gone: \(a.path)", hint: "rerun that cell with --force --only '\(key.name)'")
            }
            guard SHA256.file(a.path)?.hash == a.sha256 else {
                throw LabError.cell("the \(kind) of run \(r.id.prefix(8)) changed since it was recorded: \(a.path)", hint: "rerun that cell with --force")
            }
            return a.path
        }
    }

    public init(experiment: String, options: LabOptions) throws {
        self.experiment = experiment
        self.options = options
        if let t = options.threads { Parallel.threads = t }
        ledger = try Ledger(path: Ledger.defaultPath(explicit: options.db))
        code = try CapturedCode.current()
    }

    public func say(_ s: String) {
        print(String(format: "[%@] ", Runner.clock(Date().timeIntervalSince(start))) + s)
        fflush(stdout)
    }

    static func clock(_ s: Double) -> String {
        let t = Int(max(s, 0).rounded())
        return t >= 3600 ? String(format: "%dh%02dm%02ds", t / 3600, t / 60 % 60, t % 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }

    /// A finished run of this cell at this exact code state and config, if any.
    func stored(_ c: GridCell, among runs: [RunRecord]) -> RunRecord? {
        let cfg = c.config.canonicalText
        return runs.last { r in
            r.cell == c.name && r.seed == Int64(c.seed) && r.config.canonicalText == cfg && r.code.commit == code.state.commit
                && r.code.diffSHA256 == code.state.diffSHA256 && r.code.untracked == code.state.untracked
        }
    }

    /// Prints the plan (and stops there under --dry-run); returns false when it was a dry run.
    public func plan(_ grid: Grid) throws -> Bool {
        let done = try ledger.runs(Ledger.Filter(experiment: experiment, status: .finished))
        let todo = grid.cells.filter { options.force || stored($0, among: done) == nil }
        say("\(experiment): \(options.grid) grid, \(grid.cells.count) cells (\(grid.cells.count - todo.count) already done at this commit); estimate \(Runner.clock(todo.reduce(0) { $0 + $1.estimate })) on \(Parallel.threads) threads")
        say("ledger \(ledger.path); code \(code.state.shortCommit)\(code.state.dirty ? " (dirty: runs will be flagged by `lab audit`)" : "")")
        if options.dryRun {
            for c in grid.cells {
                let mark = todo.contains { $0.key == c.key } ? "run " : "done"
                print(String(format: "  %@  %-44@ seed %d  ~%@", mark, c.name as NSString, c.seed, Runner.clock(c.estimate)))
            }
            return false
        }
        return true
    }

    /// Runs (or resumes) every cell; `body` does one cell's work and returns its final metrics.
    @discardableResult
    public func execute(_ grid: Grid, _ body: (GridCell, Context) throws -> [String: Double]) throws -> [CellKey: RunRecord] {
        let done = try ledger.runs(Ledger.Filter(experiment: experiment, status: .finished))
        let targets = Set(grid.cells.filter { c in (options.only.map { c.name == $0 || c.name.contains($0) } ?? true) && (options.seed.map { c.seed == $0 } ?? true) }.map(\.key))
        var finished: [CellKey: RunRecord] = [:]
        var spent = 0.0, estimatedSpent = 0.0
        for (i, c) in grid.cells.enumerated() {
            let forced = options.force && targets.contains(c.key) || (reproductionParent != nil && targets.contains(c.key))
            if !forced, let r = stored(c, among: done) {
                finished[c.key] = r
                say("[\(i + 1)/\(grid.cells.count)] \(c.name) seed \(c.seed): done at this commit (run \(r.id.prefix(8))), skipped")
                continue
            }
            let remainingAfter = grid.cells[(i + 1)...].filter { stored($0, among: done) == nil || options.force }.reduce(0) { $0 + $1.estimate }
            let ratio = estimatedSpent > 0 ? spent / estimatedSpent : 1
            say("[\(i + 1)/\(grid.cells.count)] \(c.name) seed \(c.seed): starting (estimate \(Runner.clock(c.estimate * ratio)); grid ETA \(Runner.clock((c.estimate + remainingAfter) * ratio)))")
            var deps: [CellKey: RunRecord] = [:]
            for d in c.dependencies {
                guard let r = finished[d] else { throw LabError.cell("\(c.key) needs \(d), which did not finish", hint: "see the error above") }
                deps[d] = r
            }
            let parent = reproductionParent ?? c.dependencies.first.flatMap { deps[$0]?.id }
            var command = ["swift", "run", "exp-\(experiment)", "--\(options.grid)", "--only", c.name, "--seed", String(c.seed), "--threads", String(Parallel.threads)]
            if let s = options.seeds { command += ["--seeds", String(s)] }
            let spec = try Ledger.RunSpec(experiment: experiment, cell: c.name, seed: Int64(c.seed), config: c.config, engine: .current,
                                          overrides: ["grid": options.grid], parentID: parent,
                                          rerun: RerunSpec(command: command, ignored: nondeterministicMetrics))
            let handle = try ledger.startRun(spec)
            let dir = URL(fileURLWithPath: (ledger.path as NSString).deletingLastPathComponent)
                .appendingPathComponent("artifacts/\(experiment)/\(handle.id)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let t0 = Date()
            var lastPrint = Date.distantPast
            let ctx = Context(run: handle, ledger: ledger, cell: c, dependencies: deps, directory: dir) { step, total, message in
                let now = Date()
                guard now.timeIntervalSince(lastPrint) >= 5 || step == total else { return }
                lastPrint = now
                let el = now.timeIntervalSince(t0), cellLeft = step > 0 ? el / Double(step) * Double(total - step) : c.estimate
                self.say(String(format: "    %@ step %d/%d  %@  cell ETA %@, grid ETA %@", c.name, step, total, message,
                                Runner.clock(cellLeft), Runner.clock(cellLeft + remainingAfter * ratio)))
            }
            var summary: [String: Double] = [:]
            try handle.run { _ in
                summary = try body(c, ctx)
                summary["seconds"] = Date().timeIntervalSince(t0)
                return summary
            }
            spent += Date().timeIntervalSince(t0); estimatedSpent += c.estimate
            let record = try ledger.run(handle.id)
            finished[c.key] = record
            say("    finished run \(handle.id.prefix(8)) in \(Runner.clock(Date().timeIntervalSince(t0))): " +
                summary.sorted { $0.key < $1.key }.prefix(8).map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " "))
        }
        return finished
    }

    /// Prints the experiment's table and verdicts for this grid's runs (as `lab tables` renders them).
    public func printReport() {
        do {
            guard let root = code.state.root else { return }
            var spec = try ReportSpec.load(path: ReportSpec.path(experiment: experiment, root: root.hasSuffix("/") ? String(root.dropLast()) : root))
            spec.select["grid"] = options.grid
            let data = try ReportData(spec: spec, records: try ledger.export(experiment: experiment))
            print("\n" + ReportRenderer.summary(data))
            print("(from the \(options.grid) grid: \(data.runs.count) runs in \(ledger.path); `lab tables \(experiment)` writes the report from the full grid)")
        } catch {
            print("(no table: \(error))")
        }
    }
}
