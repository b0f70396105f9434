import Foundation
import Ledger

/// Whether a report's claims were fixed before its runs: the claims of `experiments/<name>/report.json`
/// (metric, direction, `min_effect`, compared cells) as committed at the commit of the report's first run,
/// compared with the claims the report tests now. The planned seeds come from the runs themselves.
public enum Preregistration {
    /// What the check found.
    public enum Finding: Equatable {
        /// The claims tested (and the seed count) are those committed at `commit`, where the first run was made.
        case fixedBefore(commit: String)
        /// The claims were changed after the first run (at `commit` they read otherwise).
        case changedAfter(commit: String)
        /// The spec was not committed at the first run's commit.
        case notCommitted(commit: String)
        /// No history to check against (no repository, or the commit is unknown here).
        case unknown(String)
    }

    /// Checks `data`'s claims against the spec committed at its first run's commit.
    public static func check(_ data: ReportData, root: String) -> Finding {
        guard let first = data.runs.map(\.run).min(by: { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }), let commit = first.code.commit else {
            return .unknown("the runs record no commit")
        }
        guard let history = try? GitHistory(at: root), history.commitExists(commit) else {
            return .unknown("commit \(commit.prefix(12)) is not in this repository")
        }
        let path = "experiments/\(data.spec.experiment)/report.json"
        guard let bytes = try? history.file(at: commit, path: path) else { return .notCommitted(commit: commit) }
        guard let then = try? JSONDecoder().decode(ReportSpec.self, from: bytes) else { return .changedAfter(commit: commit) }
        return then.claims == data.spec.claims && then.seeds == data.spec.seeds ? .fixedBefore(commit: commit) : .changedAfter(commit: commit)
    }

    /// The report's paragraph.
    public static func text(_ data: ReportData, root: String) -> String {
        var seedNote = ""
        if let n = data.spec.seeds {
            seedNote = data.plannedSeeds.count == n ? " Seeds: \(n) pre-registered, \(n) planned by the runs."
                : " ⚠ Seeds: \(n) pre-registered, but the runs planned \(data.plannedSeeds.count)."
        } else {
            seedNote = " ⚠ No seed count is pre-registered (`seeds` in the spec)."
        }
        return paragraph(data, root: root) + seedNote
    }

    static func paragraph(_ data: ReportData, root: String) -> String {
        let path = "experiments/\(data.spec.experiment)/report.json"
        let seeds = data.plannedSeeds.map(String.init).joined(separator: ", ")
        switch check(data, root: root) {
        case .fixedBefore(let c):
            return "Pre-registration: the claims above (metric, direction, `min_effect`, compared cells) and the seed count are those of `\(path)` as committed in `\(c.prefix(12))`, the commit of the first of these runs: they were fixed before it. Planned seeds (recorded by the runs): \(seeds)."
        case .changedAfter(let c):
            return "⚠ Pre-registration: the claims above (or the seed count) differ from those of `\(path)` at `\(c.prefix(12))`, the commit of the first run: they were changed after the runs began."
        case .notCommitted(let c):
            return "⚠ Pre-registration: `\(path)` was not committed at `\(c.prefix(12))`, the commit of the first run: the claims were not fixed before the runs."
        case .unknown(let why):
            return "Pre-registration: not checked (\(why))."
        }
    }
}
