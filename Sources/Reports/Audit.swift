import Foundation
import Ledger

/// `lab audit`: traces every run a report cites back to its commit. A run fails the audit when it is not
/// in the records (or the ledger), did not finish, has no commit, its commit is not in this repository or
/// not an ancestor of HEAD, it was made on a dirty tree, or the files its experiment depends on changed
/// since its commit (stale). A report that differs from its regeneration fails too.
public enum Audit {
    public struct Finding: Equatable, Sendable {
        public enum Kind: String, Sendable { case missing, unfinished, noCommit = "no commit", unknownCommit = "commit not in repository",
                                                 notAncestor = "commit not an ancestor of HEAD", dirty, stale, regenerate = "report differs" }
        public var kind: Kind
        public var run: String?
        public var cell: String?
        public var detail: String
    }

    public struct Result: Sendable {
        public var report: String
        public var runsChecked: Int
        public var findings: [Finding]
        public var passed: Bool { findings.isEmpty }
        /// Stale files per cell.
        public var staleCells: [(cell: String, files: [String])] {
            let stale = findings.filter { $0.kind == .stale }
            return Dictionary(grouping: stale) { $0.cell ?? "?" }.map { cell, fs in
                (cell, Array(Set(fs.flatMap { $0.detail.components(separatedBy: ", ") })).sorted())
            }.sorted { $0.cell < $1.cell }
        }
    }

    /// Paths a run of `experiment` depends on: a change to any of them since the run's commit makes it stale.
    /// Left out: the experiment's `report.json` (it shapes the report only); `Sources/Reports/` (it renders
    /// and judges run records, recomputed from them at every `lab tables`, and cannot change what a run
    /// recorded: an experiment calls it only to print its table after every cell has finished); and
    /// `Sources/LabCommand/` (the `lab` command is an executable no experiment links), also under its old
    /// path `Sources/lab/`, so a run made before the rename does not read as stale because of it.
    public static func dependencies(experiment: String) -> (paths: [String], excluded: [String]) {
        (["Package.swift", "Sources/", "experiments/\(experiment)/"],
         ["experiments/\(experiment)/report.json", "Sources/Reports/", "Sources/LabCommand/", "Sources/lab/"])
    }

    /// Run ids cited in a report (its `<!-- lab:runs ... -->` footer).
    public static func citedRuns(_ markdown: String) -> [String]? {
        guard let a = markdown.range(of: "<!-- lab:runs "), let b = markdown.range(of: " -->", range: a.upperBound..<markdown.endIndex) else { return nil }
        return markdown[a.upperBound..<b.lowerBound].split(separator: " ").map(String.init)
    }

    /// Audits one report (`ablations/<experiment>.md`) in the repository at `root`. `ledger`, when given,
    /// is consulted for runs the committed records lack and cross-checked for status.
    public static func audit(report path: String, root: String, ledger: Ledger?, allowDirty: Bool = false) throws -> Result {
        guard let md = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReportError.input("cannot read \(path)", hint: "give a report under ablations/, e.g. ablations/task-scaling.md")
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        guard let cited = citedRuns(md) else {
            throw ReportError.input("\(path) cites no runs (no <!-- lab:runs --> footer)", hint: "regenerate it with `lab tables \(name)`")
        }
        let recordsPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(Tables.recordsName(name))
        let records = (try? String(contentsOfFile: recordsPath, encoding: .utf8)).map { try? Tables.decode($0, source: recordsPath) } ?? nil
        let byID = Dictionary((records ?? []).map { ($0.run.id, $0.run) }, uniquingKeysWith: { a, _ in a })
        var findings: [Finding] = []

        if FileManager.default.fileExists(atPath: ReportSpec.path(experiment: name, root: root)), records != nil {
            for f in try Tables.check(experiment: name, root: root) {
                findings.append(Finding(kind: .regenerate, run: nil, cell: nil, detail: "\(f): run `lab tables \(name)` (or `lab tables --check`) to see why"))
            }
        }

        let git = try GitHistory(at: root)
        guard let head = git.head() else { throw ReportError.input("\(root) has no HEAD commit", hint: "commit first") }
        let (deps, excluded) = dependencies(experiment: name)
        var changedCache: [String: [String]] = [:]
        for id in cited {
            var run = byID[id]
            if let ledger, let stored = try? ledger.run(id) {
                if run == nil { run = stored }
                if stored.status != .finished {
                    findings.append(Finding(kind: .unfinished, run: id, cell: stored.cell, detail: "the ledger has it as \(stored.status.rawValue)"))
                }
            }
            guard let r = run else {
                findings.append(Finding(kind: .missing, run: id, cell: nil, detail: "not in \(Tables.recordsName(name))\(ledger == nil ? "" : " nor in the ledger")"))
                continue
            }
            if r.status != .finished {
                findings.append(Finding(kind: .unfinished, run: id, cell: r.cell, detail: "status \(r.status.rawValue)\(r.error.map { ": \($0)" } ?? "")"))
            }
            guard let commit = r.code.commit else {
                findings.append(Finding(kind: .noCommit, run: id, cell: r.cell, detail: "made outside a git repository"))
                continue
            }
            if r.code.dirty && !allowDirty {
                var what: [String] = []
                if r.code.diffBytes > 0 { what.append("\(r.code.diffBytes) bytes of uncommitted changes (diff \(r.code.diffSHA256?.prefix(12) ?? "?"))") }
                if !r.code.untracked.isEmpty { what.append("untracked: " + r.code.untracked.prefix(3).map(\.path).joined(separator: ", ")) }
                findings.append(Finding(kind: .dirty, run: id, cell: r.cell, detail: what.joined(separator: "; ")))
            }
            guard git.commitExists(commit) else {
                findings.append(Finding(kind: .unknownCommit, run: id, cell: r.cell, detail: "\(commit.prefix(12)) is not in this repository (rewritten history, or another clone?)"))
                continue
            }
            guard git.isAncestorOfHead(commit) else {
                findings.append(Finding(kind: .notAncestor, run: id, cell: r.cell, detail: "\(commit.prefix(12)) is not an ancestor of HEAD \(head.prefix(12))"))
                continue
            }
            if changedCache[commit] == nil {
                changedCache[commit] = try git.changedFiles(from: commit, to: head, paths: deps).filter { f in
                    !excluded.contains { $0.hasSuffix("/") ? f.hasPrefix($0) : f == $0 }
                }
            }
            if let changed = changedCache[commit], !changed.isEmpty {
                findings.append(Finding(kind: .stale, run: id, cell: r.cell, detail: changed.joined(separator: ", ")))
            }
        }
        return Result(report: path, runsChecked: cited.count, findings: findings)
    }
}
