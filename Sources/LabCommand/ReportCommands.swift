import ArgumentParser
import Foundation
import Ledger
import Reports

/// The repository root containing the current directory (reports live at `<root>/ablations`).
func repositoryRoot() throws -> String {
    let git = try GitHistory(at: FileManager.default.currentDirectoryPath)
    guard let root = git.root else { throw ValidationError("a bare repository has no working tree") }
    return root.hasSuffix("/") ? String(root.dropLast()) : root
}

/// `lab tables`: regenerate `ablations/<experiment>.md`, its plots and its run records from the ledger.
struct TablesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tables",
        abstract: "Regenerate ablation reports (Markdown, SVG plots, run records) from the ledger; --check verifies the committed ones.",
        discussion: """
        For EXPERIMENT, reads experiments/EXPERIMENT/report.json (what to show), selects the finished runs it names \
        from the ledger (the latest per cell and seed, plus the runs they start from), writes them to \
        ablations/EXPERIMENT.runs.jsonl (per-step series thinned to \(Tables.maxPointsPerMetric) points), and renders \
        ablations/EXPERIMENT.md and its SVG plots from exactly that file. With --check (no ledger needed), renders every \
        committed report from its committed records and exits 1 if any file would change.
        """
    )

    @Argument(help: "Experiments to regenerate (default with --check: every report with committed records).")
    var experiments: [String] = []
    @Flag(help: "Do not write; exit 1 if regenerating from the committed records would change any file.")
    var check = false
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let root = try repositoryRoot()
        if check {
            let names = experiments.isEmpty ? Tables.committedExperiments(root: root) : experiments
            if names.isEmpty { print("no committed reports (ablations/*.runs.jsonl) to check"); return }
            var failed = false
            for name in names {
                let changed = try Tables.check(experiment: name, root: root)
                if changed.isEmpty { print("ok    ablations/\(name).md regenerates byte for byte") } else {
                    failed = true
                    print("DIFF  \(name): " + changed.joined(separator: ", "))
                }
            }
            if failed {
                print("a report differs from what its records give: never edit ablations/ by hand; run `lab tables EXPERIMENT` and commit")
                throw ExitCode(1)
            }
            return
        }
        guard !experiments.isEmpty else { throw ValidationError("name an experiment (e.g. `lab tables task-scaling`), or use --check") }
        let book = try ledger.open()
        for name in experiments {
            let files = try Tables.generate(experiment: name, root: root, ledger: book)
            try Tables.write(files, root: root)
            for f in files { print("wrote ablations/\(f.name) (\(f.content.utf8.count) bytes)") }
            if let md = files.first(where: { $0.name == "\(name).md" })?.content,
               let verdicts = md.components(separatedBy: "\n").filter({ $0.hasPrefix("**") && $0.contains("at this scale") }) as [String]? {
                for v in verdicts { print(v.replacingOccurrences(of: "**", with: "")) }
            }
        }
    }
}

/// `lab audit`: trace every run a report cites to its commit.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check that every run a report cites exists, finished, and was made at a clean commit of this history whose dependencies have not changed since.",
        discussion: """
        For each report (default: every ablations/*.md with run records): each cited run must be in the committed \
        records or the ledger and finished; its commit must exist here and be an ancestor of HEAD; a run on a dirty \
        tree is flagged; a run is stale when Package.swift, Sources/ or experiments/EXPERIMENT/ (report.json aside) \
        differ between its commit and HEAD, listed per cell. The report must also regenerate byte for byte. \
        Exits 1 on any finding.
        """
    )

    @Argument(help: "Reports to audit (paths, e.g. ablations/task-scaling.md).") var reports: [String] = []
    @Flag(help: "Do not count runs made on a dirty tree as failures (they are still listed).") var allowDirty = false
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let root = try repositoryRoot()
        let paths = reports.isEmpty ? Tables.committedExperiments(root: root).map { root + "/ablations/\($0).md" } : reports
        if paths.isEmpty { print("no reports to audit (ablations/*.runs.jsonl)"); return }
        let dbPath = Ledger.defaultPath(explicit: ledger.db)
        let book = FileManager.default.fileExists(atPath: dbPath) ? try Ledger(path: dbPath) : nil
        var failed = false
        for path in paths {
            let r = try Audit.audit(report: path, root: root, ledger: book, allowDirty: allowDirty)
            if r.passed {
                print("PASS  \(path): \(r.runsChecked) runs, all finished at clean ancestors of HEAD, none stale")
                continue
            }
            failed = true
            print("FAIL  \(path): \(r.findings.count) findings over \(r.runsChecked) runs")
            for kind in [Audit.Finding.Kind.regenerate, .missing, .unfinished, .noCommit, .unknownCommit, .notAncestor, .dirty] {
                for f in r.findings where f.kind == kind {
                    print("  \(kind.rawValue): \(f.run.map { "run \($0.prefix(8))" } ?? "")\(f.cell.map { " (cell \($0))" } ?? "") \(f.detail)")
                }
            }
            for (cell, files) in r.staleCells {
                print("  stale: cell \(cell): changed since its runs: \(files.prefix(8).joined(separator: ", "))\(files.count > 8 ? " and \(files.count - 8) more" : "")")
            }
            print("  to fix: rerun the listed cells at HEAD (the experiment resumes: only changed cells run), then `lab tables` and commit")
        }
        if failed { throw ExitCode(1) }
    }
}

/// `lab reproduce`: re-run one cell from its commit and compare.
struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Re-run one run from its own commit (plus its stored diff) in a temporary worktree and compare every final metric.",
        discussion: """
        Checks out the run's commit with `git worktree add`, applies its stored uncommitted diff, runs the command the \
        run recorded (which builds that revision), and compares the new run's final metrics with the original's: \
        bit-identical unless the experiment declared a tolerance (or declared a metric such as wall time not \
        reproducible). The reproduction is recorded as a run whose parent is the original. Exits 1 if it differs.
        """
    )

    @Argument(help: "Run id or unique prefix.") var runID: String
    @Flag(help: "Keep the temporary worktree.") var keep = false
    @OptionGroup var ledger: LedgerOptions

    func run() throws {
        let root = try repositoryRoot()
        let book = try ledger.open()
        let out = try Reproduce.run(runID, ledger: book, root: root, keep: keep) { print($0); fflush(stdout) }
        print("\nmetric                     original              reproduced            tolerance   ok")
        for c in out.comparisons {
            let tol = c.tolerance.map { $0 == 0 ? "exact" : Format.number($0) } ?? "ignored"
            print(String(format: "%-26@ %-21@ %-21@ %-11@ %@", c.key as NSString, (c.original.map { "\($0)" } ?? "-") as NSString,
                         (c.reproduced.map { "\($0)" } ?? "-") as NSString, tol as NSString, c.ok ? "yes" : "NO"))
        }
        print("\nrun \(out.reproduction.id.prefix(8)) (parent \(out.original.id.prefix(8))): \(out.verdict)")
        if !out.passed { throw ExitCode(1) }
    }
}
