import Foundation

/// What an experiment's report shows, read from `experiments/<name>/report.json`. It shapes the report
/// only (which config keys are the axes, which metrics are columns, which claim is tested and by which
/// rule); every number comes from the runs.
public struct ReportSpec: Codable, Equatable, Sendable {
    /// The experiment name, as recorded in the ledger.
    public var experiment: String
    public var title: String
    /// The paper note (e.g. "papers/flan.md"). Its sections between `<!-- report:claim -->` and
    /// `<!-- /report:claim -->` (and optionally `report:discussion`) are quoted in the report.
    public var paper: String
    /// The experiment's notebook, linked from the report.
    public var notebook: String
    /// Config values a run must have to appear (dotted paths, compared as text), e.g. {"grid": "full", "role": "finetune"}.
    public var select: [String: String]
    /// The x axis: a numeric config path (e.g. "tasks").
    public var x: Axis
    /// The series: a config path whose values split rows and plot lines (e.g. "size").
    public var series: Axis
    /// Table columns, in order.
    public var metrics: [Metric]
    /// Per-series setup figures (final metrics averaged over runs, e.g. "params", "pretrain_tokens").
    public var setup: [Metric]
    /// Config paths printed in the setup section (one value per series; varying values are listed).
    public var setupConfig: [String]
    /// The claims tested, each with its verdict rule.
    public var claims: [Claim]
    /// Plots, one SVG file each.
    public var plots: [Plot]

    public struct Axis: Codable, Equatable, Sendable {
        public var key: String
        public var label: String
    }

    public struct Metric: Codable, Equatable, Sendable {
        public var key: String
        public var label: String
        /// Print as a percentage (values are fractions).
        public var percent: Bool?
        /// Decimal places (default 1 for percentages, 3 otherwise).
        public var digits: Int?
    }

    /// "The metric at x = `to` exceeds (or falls below) the metric at x = `from`, for every series."
    public struct Claim: Codable, Equatable, Sendable {
        public var id: String
        public var text: String
        public var metric: String
        /// The baseline x value (e.g. 0 tasks).
        public var from: Double
        /// The compared x value; nil means the largest x of each series.
        public var to: Double?
        /// "increase" or "decrease": the paper's direction.
        public var direction: String
        /// The smallest effect (in the metric's units) that would count as the paper's effect; an interval
        /// entirely below it rules the effect out ("not replicated").
        public var minEffect: Double

        enum CodingKeys: String, CodingKey { case id, text, metric, from, to, direction, minEffect = "min_effect" }
    }

    public struct Plot: Codable, Equatable, Sendable {
        /// "line" (scaling curve with a 95% band) or "bars" (grouped bars with 95% error bars).
        public var kind: String
        public var metric: String
        public var title: String
    }

    enum CodingKeys: String, CodingKey {
        case experiment, title, paper, notebook, select, x, series, metrics, setup, setupConfig = "setup_config", claims, plots
    }

    /// `experiments/<experiment>/report.json` under `root`.
    public static func path(experiment: String, root: String) -> String { root + "/experiments/\(experiment)/report.json" }

    /// Loads and checks a spec.
    public static func load(path: String) throws -> ReportSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportError.input("no report spec at \(path)", hint: "an experiment declares its report in experiments/<name>/report.json")
        }
        let spec: ReportSpec
        do { spec = try JSONDecoder().decode(ReportSpec.self, from: data) } catch {
            throw ReportError.input("\(path) is not a valid report spec: \(error)", hint: "see Sources/Reports/ReportSpec.swift for the fields")
        }
        let keys = Set(spec.metrics.map(\.key))
        for c in spec.claims where !keys.contains(c.metric) {
            throw ReportError.input("\(path): claim '\(c.id)' uses metric '\(c.metric)', which is not a column", hint: "add it to \"metrics\"")
        }
        for c in spec.claims where c.direction != "increase" && c.direction != "decrease" {
            throw ReportError.input("\(path): claim '\(c.id)' has direction '\(c.direction)'", hint: "use \"increase\" or \"decrease\"")
        }
        for p in spec.plots where p.kind != "line" && p.kind != "bars" {
            throw ReportError.input("\(path): plot kind '\(p.kind)'", hint: "use \"line\" or \"bars\"")
        }
        return spec
    }
}

/// Errors of the reports: what went wrong and what to do.
public enum ReportError: Error, CustomStringConvertible {
    case input(String, hint: String)

    public var description: String {
        switch self {
        case .input(let m, let hint): return "\(m) (\(hint))"
        }
    }
}
