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

    /// The seeds the grid planned, recorded with every run (`planned_seeds`) so a report flags missing ones.
    public let plannedSeeds: [Int]

    public init(experiment: String, options: LabOptions, plannedSeeds: [Int]) throws {
        self.experiment = experiment
        self.options = options
        self.plannedSeeds = plannedSeeds
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

    /// Whether `c` runs (rather than resumes): it has no finished run at this code state and config, or it
    /// is a selected cell under `--force` or a reproduction (its parents resume either way).
    func willRun(_ c: GridCell, targets: Set<CellKey>, done: [RunRecord]) -> Bool {
        if targets.contains(c.key) && (options.force || reproductionParent != nil) { return true }
        return stored(c, among: done) == nil
    }

    /// Prints the plan (and stops there under --dry-run); returns false when it was a dry run.
    public func plan(_ grid: Grid) throws -> Bool {
        let done = try ledger.runs(Ledger.Filter(experiment: experiment, status: .finished))
        let targets = grid.targets(only: options.only, seed: options.seed)
        let todo = grid.cells.filter { willRun($0, targets: targets, done: done) }
        say("\(experiment): \(options.grid.rawValue) grid, \(grid.cells.count) cells (\(grid.cells.count - todo.count) already done at this commit); estimate \(Runner.clock(todo.reduce(0) { $0 + $1.estimate })) on \(Parallel.threads) threads")
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
    public func execute(_ grid: Grid, _ body: (GridCell, CellContext) throws -> [String: Double]) throws -> [CellKey: RunRecord] {
        let done = try ledger.runs(Ledger.Filter(experiment: experiment, status: .finished))
        let targets = grid.targets(only: options.only, seed: options.seed)
        var finished: [CellKey: RunRecord] = [:]
        var spent = 0.0, estimatedSpent = 0.0
        for (i, c) in grid.cells.enumerated() {
            if !willRun(c, targets: targets, done: done), let r = stored(c, among: done) {
                finished[c.key] = r
                say("[\(i + 1)/\(grid.cells.count)] \(c.name) seed \(c.seed): done at this commit (run \(r.id.prefix(8))), skipped")
                continue
            }
            let remainingAfter = grid.cells[(i + 1)...].filter { willRun($0, targets: targets, done: done) }.reduce(0) { $0 + $1.estimate }
            let ratio = estimatedSpent > 0 ? spent / estimatedSpent : 1
            say("[\(i + 1)/\(grid.cells.count)] \(c.name) seed \(c.seed): starting (estimate \(Runner.clock(c.estimate * ratio)); grid ETA \(Runner.clock((c.estimate + remainingAfter) * ratio)))")
            var parents: [ParentRole: RunRecord] = [:]
            for (role, d) in c.parents {
                guard let r = finished[d] else { throw LabError.cell("\(c.key) needs its \(role) \(d), which did not finish", hint: "see the error above") }
                parents[role] = r
            }
            let parent = reproductionParent ?? c.primaryParent.flatMap { finished[$0]?.id }
            var command = ["swift", "run", "exp-\(experiment)", "--\(options.grid.rawValue)", "--only", c.name, "--seed", String(c.seed), "--threads", String(Parallel.threads)]
            if let s = options.seeds { command += ["--seeds", String(s)] }
            let spec = try Ledger.RunSpec(experiment: experiment, cell: c.name, seed: Int64(c.seed), config: c.config, engine: .current,
                                          overrides: ["grid": options.grid.rawValue, "planned_seeds": plannedSeeds.map(String.init).joined(separator: ",")],
                                          parentID: parent,
                                          rerun: RerunSpec(command: command, ignored: nondeterministicMetrics))
            let handle = try ledger.startRun(spec)
            let dir = URL(fileURLWithPath: (ledger.path as NSString).deletingLastPathComponent)
                .appendingPathComponent("artifacts/\(experiment)/\(handle.id)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let t0 = Date()
            var lastPrint = Date.distantPast
            let ctx = CellContext(run: handle, ledger: ledger, cell: c, grid: options.grid, parents: parents, directory: dir) { step, total, message in
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

    /// Prints the experiment's table and verdicts for this grid's runs (as `lab tables` renders them);
    /// throws when the report cannot be made (no spec, no matching runs, a metric no run reports).
    public func printReport() throws {
        guard let root = code.state.root else {
            throw LabError.cell("not inside a git repository", hint: "run the experiment from a clone of the project")
        }
        var spec = try ReportSpec.load(path: ReportSpec.path(experiment: experiment, root: root.hasSuffix("/") ? String(root.dropLast()) : root))
        spec.select["grid"] = options.grid.rawValue
        let data = try ReportData(spec: spec, records: try ledger.export(experiment: experiment))
        let reported = Set(data.runs.flatMap { $0.run.summary.keys })
        let absent = (spec.metrics.map(\.key) + spec.metrics.compactMap(\.chanceMetric)).filter { !reported.contains($0) }
        if !absent.isEmpty {
            throw LabError.cell("report.json names metrics that no run reports: \(absent.joined(separator: ", "))", hint: "fix the keys in experiments/\(experiment)/report.json (reported: \(reported.sorted().prefix(20).joined(separator: ", ")))")
        }
        print("\n" + ReportRenderer.summary(data))
        print("(from the \(options.grid.rawValue) grid: \(data.runs.count) runs in \(ledger.path); `lab tables \(experiment)` writes the report from the full grid)")
    }
}
