import ArgumentParser
import Foundation
import Ledger
import Reports

/// `lab runs`: one line per run.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs: id, experiment, cell, seed, status, commit (* = dirty), duration, headline metric.",
        discussion: "The headline metric is the experiment's primary metric (the first claim's metric in experiments/EXPERIMENT/report.json), else eval_loss or heldout_loss, else the first final metric alphabetically; the header names it."
    )
    @OptionGroup var ledger: LedgerOptions
    @Option(help: "Only this experiment.") var experiment: String?
    @Option(help: "Only this status: running, finished, failed, crashed.") var status: String?
    @Option(help: "Only runs at a commit starting with this sha.") var commit: String?
    @Flag(help: "One JSON record per line instead of a table.") var json = false

    func run() throws {
        var st: RunStatus?
        if let status {
            guard let s = RunStatus(rawValue: status) else { throw ValidationError("--status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))") }
            st = s
        }
        let runs = try ledger.open().runs(Ledger.Filter(experiment: experiment, status: st, commitPrefix: commit))
        if json {
            for r in runs { print(try Format.json(r)) }
            return
        }
        if runs.isEmpty { print("no runs"); return }
        var headline = Headline(root: try? repositoryRoot())
        let (title, cells) = headline.column(runs, format: Format.number)
        print("id        experiment            cell                      seed  status    commit     duration  \(title)")
        for (r, cell) in zip(runs, cells) {
            print(String(format: "%@  %@  %@  %4lld  %@  %@  %8@  %@",
                         String(r.id.prefix(8)) as NSString,
                         r.experiment.padding(toLength: 20, withPad: " ", startingAt: 0) as NSString,
                         String(r.cell.prefix(24)).padding(toLength: 24, withPad: " ", startingAt: 0) as NSString,
                         r.seed, r.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) as NSString,
                         r.code.shortCommit.padding(toLength: 9, withPad: " ", startingAt: 0) as NSString,
                         Format.duration(r.duration) as NSString, cell as NSString))
        }
    }
}

/// `lab show RUN`: everything about one run.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run: config, metrics, code state, environment, artifacts. A unique id prefix is enough."
    )
    @OptionGroup var ledger: LedgerOptions
    @Argument(help: "Run id or unique prefix.") var id: String
    @Flag(help: "Also print the uncommitted diff the run was made with.") var diff = false
    @Flag(help: "The whole record (with metrics, artifacts and patch) as JSON.") var json = false

    func run() throws {
        let l = try ledger.open()
        let r = try l.run(id)
        if json {
            let full = ExportedRun(run: r, metrics: try l.metrics(r.id), artifacts: try l.artifacts(r.id),
                                   patch: try r.code.diffSHA256.flatMap { try l.patch($0) })
            print(try Format.json(full, pretty: true))
            return
        }
        print("run \(r.id)")
        print("  experiment \(r.experiment)   cell \(r.cell)   seed \(r.seed)\(r.parentID.map { "   parent \($0)" } ?? "")")
        print("  status \(r.status.rawValue)\(r.error.map { ": \($0)" } ?? "")")
        print("  started \(Format.date(r.startedAt))   ended \(Format.date(r.endedAt))   duration \(Format.duration(r.duration))   host \(r.host) pid \(r.pid)")
        print("config:")
        for (k, v) in r.config.flattened().sorted(by: { $0.key < $1.key }) { print("  \(k) = \(v)") }
        if !r.overrides.isEmpty { print("overrides: " + r.overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
        print("summary:")
        for (k, v) in r.summary.sorted(by: { $0.key < $1.key }) { print("  \(k) = \(Format.number(v))") }
        let metrics = try l.metrics(r.id)
        if !metrics.isEmpty {
            print("metrics (key: points, first -> last):")
            for (k, pts) in Dictionary(grouping: metrics, by: \.key).sorted(by: { $0.key < $1.key }) {
                print("  \(k): \(pts.count) points, step \(pts.first!.step) = \(Format.number(pts.first!.value)) -> step \(pts.last!.step) = \(Format.number(pts.last!.value))")
            }
        }
        let c = r.code
        print("code:")
        if !c.isRepository { print("  not a git repository: this run is tied to no commit") } else {
            print("  commit \(c.commit ?? "(none)")   \(c.detached ? "detached HEAD" : "branch \(c.branch ?? "?")")   \(c.dirty ? "DIRTY" : "clean")")
            if let u = c.remoteURL { print("  remote \(u)") }
            if let d = c.diffSHA256 { print("  uncommitted diff: \(c.diffBytes) bytes, sha256 \(d)") }
            for u in c.untracked { print("  untracked \(u.path) (\(u.size) bytes, sha256 \(u.sha256.prefix(16)))") }
        }
        let e = r.environment
        print("environment:\n  \(e.host): \(e.os)\n  CPU \(e.cpu) x\(e.cpuCount); \(e.swiftVersion); BLAS \(e.blasCore); kernels \(e.kernelISA); \(e.threads) threads")
        print("  Package.resolved sha256 \(e.packageResolvedSHA256 ?? "(absent)")")
        let arts = try l.artifacts(r.id)
        if !arts.isEmpty {
            print("artifacts:")
            for a in arts { print("  \(a.kind) \(a.path) (\(a.size) bytes, sha256 \(a.sha256.prefix(16)))") }
        }
        if diff, let sha = c.diffSHA256, let p = try l.patch(sha) { print("diff:\n" + p) }
    }
}

/// `lab compare RUN RUN`: config and metric differences side by side.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Config and metric differences of two runs, side by side.")
    @OptionGroup var ledger: LedgerOptions
    @Argument(help: "First run (id or prefix).") var a: String
    @Argument(help: "Second run (id or prefix).") var b: String

    func run() throws {
        let l = try ledger.open()
        let ra = try l.run(a), rb = try l.run(b)
        let w = 28
        func row(_ k: String, _ x: String, _ y: String, _ extra: String = "") {
            print(k.padding(toLength: max(w, k.count), withPad: " ", startingAt: 0) + "  " + x.padding(toLength: 22, withPad: " ", startingAt: 0) + "  " + y.padding(toLength: 22, withPad: " ", startingAt: 0) + extra)
        }
        row("", String(ra.id.prefix(8)), String(rb.id.prefix(8)))
        row("experiment / cell / seed", "\(ra.experiment) \(ra.cell) \(ra.seed)", "\(rb.experiment) \(rb.cell) \(rb.seed)")
        row("commit", ra.code.shortCommit, rb.code.shortCommit)
        row("status", ra.status.rawValue, rb.status.rawValue)
        let ca = ra.config.flattened(), cb = rb.config.flattened()
        let diffKeys = Set(ca.keys).union(cb.keys).filter { ca[$0] != cb[$0] }.sorted()
        print(diffKeys.isEmpty ? "config: identical" : "config differences:")
        for k in diffKeys { row("  " + k, ca[k] ?? "(absent)", cb[k] ?? "(absent)") }
        let keys = Set(ra.summary.keys).union(rb.summary.keys).sorted()
        if !keys.isEmpty { print("summary:") }
        for k in keys {
            let x = ra.summary[k], y = rb.summary[k]
            let delta = (x != nil && y != nil) ? "  diff \(Format.number(y! - x!))" : ""
            row("  " + k, x.map(Format.number) ?? "-", y.map(Format.number) ?? "-", delta)
        }
        let ma = Dictionary(grouping: try l.metrics(ra.id), by: \.key), mb = Dictionary(grouping: try l.metrics(rb.id), by: \.key)
        let series = Set(ma.keys).union(mb.keys).sorted()
        if !series.isEmpty { print("metric series (last value):") }
        for k in series {
            let x = ma[k]?.last, y = mb[k]?.last
            row("  " + k, x.map { "\(Format.number($0.value)) @\($0.step)" } ?? "-", y.map { "\(Format.number($0.value)) @\($0.step)" } ?? "-")
        }
    }
}

/// `lab export`: run records as JSON Lines on stdout.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write run records (with metrics, artifacts, patches) as JSON Lines to stdout.")
    @OptionGroup var ledger: LedgerOptions
    @Option(help: "Only this experiment.") var experiment: String?

    func run() throws {
        for r in try ledger.open().export(experiment: experiment) { print(try Format.json(r)) }
    }
}

/// `lab import`: read JSON Lines written by `lab export`.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import run records from JSON Lines (lossless; identical runs are skipped, conflicting ones refused).")
    @OptionGroup var ledger: LedgerOptions
    @Argument(help: "A .jsonl file written by `lab export` (- for stdin).") var file: String

    func run() throws {
        let data: Data
        if file == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
            guard let d = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            data = d
        }
        var items: [ExportedRun] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do { items.append(try JSONDecoder().decode(ExportedRun.self, from: Data(line.utf8))) } catch {
                throw ValidationError("\(file) line \(n + 1) is not a run record: \(error)")
            }
        }
        let (imported, skipped) = try ledger.open().importRuns(items)
        print("imported \(imported) run(s), skipped \(skipped) already present")
    }
}
