import Foundation
import Ledger
import Reports

/// The headline metric `lab runs` shows for each run: the experiment's primary metric (the first claim's
/// `metric` in `experiments/<experiment>/report.json` at the repository root) when it declares one and
/// the run has it; else `eval_loss` or `heldout_loss`; else the run's first summary key alphabetically.
struct Headline {
    /// The repository root holding `experiments/` (nil outside a repository: every run falls back).
    let root: String?
    private var primaries: [String: String?] = [:]
    /// Where a warning goes (an unreadable report spec), once per experiment.
    let warn: (String) -> Void

    init(root: String?, warn: @escaping (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }) {
        self.root = root
        self.warn = warn
    }

    /// Summary keys tried, in order, when the experiment declares no primary metric or the run lacks it.
    static let fallbackKeys = ["eval_loss", "heldout_loss"]

    /// The experiment's primary metric, read once per experiment; nil without a report spec.
    mutating func primary(_ experiment: String) -> String? {
        if let known = primaries[experiment] { return known }
        var found: String?
        if let root {
            let path = ReportSpec.path(experiment: experiment, root: root)
            if FileManager.default.fileExists(atPath: path) {
                do { found = try ReportSpec.load(path: path).claims.first?.metric } catch {
                    warn("\(error); `lab runs` shows a fallback metric for \(experiment)")
                }
            }
        }
        primaries[experiment] = found
        return found
    }

    /// The metric `run` is headlined by: (name, value), or nil for a run with no final metrics.
    mutating func metric(of run: RunRecord) -> (name: String, value: Double)? {
        if let p = primary(run.experiment), let v = run.summary[p] { return (p, v) }
        return Headline.fallback(run.summary)
    }

    /// `eval_loss`, else `heldout_loss`, else the first key alphabetically.
    static func fallback(_ summary: [String: Double]) -> (name: String, value: Double)? {
        for k in fallbackKeys { if let v = summary[k] { return (k, v) } }
        return summary.min { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The column's title and each run's cell: with one headline metric across `runs` the title is its
    /// name and cells hold values; otherwise the title is "main metric" and cells read `name=value`.
    mutating func column(_ runs: [RunRecord], format: (Double) -> String) -> (title: String, cells: [String]) {
        let metrics = runs.map { metric(of: $0) }
        // The title: the primary metric every listed experiment declares, if they agree, else the one name in use.
        let declared = Set(runs.map(\.experiment)).map { primary($0) }
        let names = Set(metrics.compactMap { $0?.name })
        let title: String?
        if let first = declared.first, let p = first, declared.allSatisfy({ $0 == p }) { title = p }
        else if names.count == 1 { title = names.first }
        else { title = nil }
        let cells = metrics.map { m -> String in
            guard let m else { return "-" }
            return m.name == title ? format(m.value) : "\(m.name)=\(format(m.value))"
        }
        return (title ?? "main metric", cells)
    }
}
