import Foundation

/// What an experiment's report shows, read from `experiments/<name>/report.json`. It shapes the report
/// only (which config keys are the axes, which metrics are columns, which claim is tested and by which
/// rule); every number comes from the runs.
public struct ReportSpec: Codable, Equatable, Sendable {
    /// The experiment name, as recorded in the ledger.
    public var experiment: String
    /// The report's title (its first heading).
    public var title: String
    /// The paper note (e.g. "papers/flan.md"). Its sections between `<!-- report:claim -->` and
    /// `<!-- /report:claim -->` (and optionally `report:discussion`) are quoted in the report.
    public var paper: String
    /// The experiment's notebook, linked from the report.
    public var notebook: String
    /// Config values a run must have to appear (dotted paths, compared as text), e.g. {"grid": "full", "role": "finetune"}.
    public var select: [String: String]
    /// The x axis: a numeric config path (e.g. "tasks"), or a categorical one (`"categorical": true`).
    public var x: Axis
    /// The series: a config path whose values split rows and plot lines (e.g. "size").
    public var series: Axis
    /// Table columns, in order.
    public var metrics: [Metric]
    /// Per-series setup figures (final metrics averaged over runs, e.g. "params", "pretrain_tokens").
    public var setup: [Metric]
    /// Config paths printed in the setup section (one value per series; varying values are listed).
    public var setupConfig: [String]
    /// The claims tested, each with its verdict rule and its own verdict table. The first one also gives
    /// the results table's Δ column.
    public var claims: [Claim]
    /// Plots, one SVG file each.
    public var plots: [Plot]
    /// The pre-registered number of seeds of the full grid (checked against the seeds the runs planned).
    public var seeds: Int?

    /// A config path that splits runs: the x axis or the series.
    public struct Axis: Codable, Equatable, Sendable {
        /// The dotted config path (e.g. "tasks", "condition").
        public var key: String
        /// The name printed in tables and on plots.
        public var label: String
        /// x only: the values are categories (compared as text), not numbers. Default false: numeric, cells
        /// sorted by value.
        public var categorical: Bool?
        /// x only, with `categorical`: the category order in tables and plots (e.g. ["unfiltered",
        /// "filtered", "filtered+textbook"]). Values not listed follow, sorted by text; without `order` all
        /// values are sorted by text.
        public var order: [String]?

        public init(key: String, label: String, categorical: Bool? = nil, order: [String]? = nil) {
            self.key = key; self.label = label; self.categorical = categorical; self.order = order
        }
    }

    /// One metric column (a final metric every run reports).
    public struct Metric: Codable, Equatable, Sendable {
        /// The final metric's key in the run records (e.g. "heldout_em").
        public var key: String
        /// The column name.
        public var label: String
        /// Print as a percentage (values are fractions).
        public var percent: Bool?
        /// Decimal places (default 1 for percentages, 3 otherwise).
        public var digits: Int?
        /// The chance floor as a constant in the metric's units (e.g. 0.1 for ten-way multiple choice). The
        /// results table shows it in a "chance" column right after the metric; line and bar plots draw it dashed.
        public var chance: Double?
        /// The chance floor as a final metric each run reports (e.g. "heldout_chance"), averaged over a cell's
        /// runs; shown like `chance`. Give one of `chance` and `chance_metric`. A percentage metric with neither
        /// gets a "no chance floor declared" warning in the report.
        public var chanceMetric: String?

        /// A rate that is not an accuracy (e.g. how often a model copies its input): no chance floor applies,
        /// and the report does not ask for one.
        public var rate: Bool?

        public init(key: String, label: String, percent: Bool? = nil, digits: Int? = nil, chance: Double? = nil, chanceMetric: String? = nil,
                    rate: Bool? = nil) {
            self.key = key; self.label = label; self.percent = percent; self.digits = digits; self.chance = chance; self.chanceMetric = chanceMetric
            self.rate = rate
        }

        /// Whether a chance floor is declared.
        public var hasChance: Bool { chance != nil || chanceMetric != nil }

        enum CodingKeys: String, CodingKey { case key, label, percent, digits, chance, chanceMetric = "chance_metric", rate }
    }

    /// An x value in the spec: a number (`0`) or a text (`"unfiltered"`). Compared with cells through
    /// `ReportData.xKey`, so `16`, `16.0` and `"16"` name the same numeric cell.
    public enum XValue: Codable, Equatable, Sendable {
        case number(Double)
        case text(String)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let d): try c.encode(d)
            case .text(let s): try c.encode(s)
            }
        }
    }

    /// One side of a claim: the cells it names. A side that fixes no `series` stands for every series in turn;
    /// one that fixes no `x` takes the other side's x (or, when neither side fixes x, every x in turn).
    public struct Side: Codable, Equatable, Sendable {
        /// The series value (e.g. "S"), or nil for each series.
        public var series: String?
        /// The x value (e.g. "unfiltered" or 0), or nil (see above).
        public var x: XValue?

        public init(series: String? = nil, x: XValue? = nil) { self.series = series; self.x = x }
    }

    /// A claim: the metric at the `treatment` cells exceeds (or falls below) the metric at the `baseline`
    /// cells, paired by seed. Two spellings:
    /// - shorthand `"from": 0, "to": 64` (or `to` omitted: the largest x of each series): two x values
    ///   of one series, tested per series;
    /// - general `"baseline": {"x": "unfiltered"}, "treatment": {"x": "filtered"}`, each side optionally
    ///   fixing `"series"` (e.g. `{"series": "S", "x": "all"}` vs `{"series": "M", "x": "all"}`). When
    ///   neither side fixes a series the claim is tested per series; when both do, once.
    public struct Claim: Codable, Equatable, Sendable {
        /// A short name (used in messages).
        public var id: String
        /// The claim as a sentence (printed with its verdict).
        public var text: String
        /// The metric compared (one of `metrics`).
        public var metric: String
        /// Shorthand: the baseline x value (e.g. 0 tasks).
        public var from: XValue?
        /// Shorthand: the compared x value; nil means the largest x of each series.
        public var to: XValue?
        /// General form: the baseline side.
        public var baseline: Side?
        /// General form: the treatment side.
        public var treatment: Side?
        /// "increase" or "decrease": the paper's direction.
        public var direction: String
        /// The smallest effect (in the metric's units) that would count as the paper's effect: "replicated"
        /// needs the mean effect at or above it (and the interval above zero); an interval entirely below it
        /// rules the effect out ("not replicated").
        public var minEffect: Double

        /// The baseline side, from either spelling.
        public var baselineSide: Side { baseline ?? Side(series: nil, x: from) }
        /// The treatment side, from either spelling (x nil with the shorthand: the largest x; see `comparesToLargest`).
        public var treatmentSide: Side { treatment ?? Side(series: nil, x: to) }
        /// The shorthand without `to`: compare with the largest x of each series.
        public var comparesToLargest: Bool { treatment == nil && to == nil }

        enum CodingKeys: String, CodingKey { case id, text, metric, from, to, baseline, treatment, direction, minEffect = "min_effect" }
    }

    /// One plot (an SVG file named `<experiment>-<metric>-<kind>.svg`).
    public struct Plot: Codable, Equatable, Sendable {
        /// "line" (scaling curve with a 95% band), "bars" (grouped bars with 95% error bars; numeric or
        /// categorical x) or "heatmap" (series as rows, x as columns, coloured by the mean, value and n in
        /// each cell: e.g. model size x tokens).
        public var kind: String
        /// The metric plotted (one of `metrics`).
        public var metric: String
        /// The plot's title.
        public var title: String
    }

    enum CodingKeys: String, CodingKey {
        case experiment, title, paper, notebook, select, x, series, metrics, setup, setupConfig = "setup_config", claims, plots, seeds
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
        try spec.validate(path: path)
        return spec
    }
}

extension ReportSpec {
    /// Checks what decoding cannot: claims name metric columns and either spelling of their sides, the plot
    /// kinds are known, chance floors are declared once.
    func validate(path: String) throws {
        let keys = Set(metrics.map(\.key))
        for c in claims where !keys.contains(c.metric) {
            throw ReportError.input("\(path): claim '\(c.id)' uses metric '\(c.metric)', which is not a column", hint: "add it to \"metrics\"")
        }
        for c in claims where c.direction != "increase" && c.direction != "decrease" {
            throw ReportError.input("\(path): claim '\(c.id)' has direction '\(c.direction)'", hint: "use \"increase\" or \"decrease\"")
        }
        for c in claims {
            let shorthand = c.from != nil || c.to != nil, general = c.baseline != nil || c.treatment != nil
            if shorthand == general || (general && (c.baseline == nil || c.treatment == nil)) || (shorthand && c.from == nil) {
                throw ReportError.input("\(path): claim '\(c.id)' must give either \"from\" (and optionally \"to\") or both \"baseline\" and \"treatment\"",
                                        hint: "e.g. \"baseline\": {\"x\": \"unfiltered\"}, \"treatment\": {\"x\": \"filtered\"}")
            }
            if c.baselineSide == c.treatmentSide && !c.comparesToLargest {
                throw ReportError.input("\(path): claim '\(c.id)' compares a cell with itself", hint: "fix a different x or series on one side")
            }
        }
        for m in metrics where m.chance != nil && m.chanceMetric != nil {
            throw ReportError.input("\(path): metric '\(m.key)' declares both \"chance\" and \"chance_metric\"", hint: "keep one")
        }
        if x.order != nil && x.categorical != true {
            throw ReportError.input("\(path): \"order\" is given for a numeric x axis", hint: "add \"categorical\": true, or drop \"order\" (numbers sort by value)")
        }
        for p in plots where !["line", "bars", "heatmap"].contains(p.kind) {
            throw ReportError.input("\(path): plot kind '\(p.kind)'", hint: "use \"line\", \"bars\" or \"heatmap\"")
        }
        for p in plots where !keys.contains(p.metric) {
            throw ReportError.input("\(path): plot '\(p.title)' uses metric '\(p.metric)', which is not a column", hint: "add it to \"metrics\"")
        }
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
