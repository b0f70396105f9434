import Evaluation
import Foundation
import Ledger

/// The runs behind one report, grouped into cells (one series value and one x value), with the seeds
/// each cell has. Built from exported run records only, so a fresh clone rebuilds it from the committed
/// `.runs.jsonl` exactly as `lab tables` did from the ledger.
public struct ReportData {
    public var spec: ReportSpec
    /// The selected runs: finished, matching `spec.select`, the latest per (cell, seed).
    public var runs: [ExportedRun]
    /// Runs the selected ones name as parents (e.g. pretraining), recursively.
    public var parents: [ExportedRun]
    public var cells: [Cell]
    /// The x values present, in table and plot order (numbers by value; categories by `spec.x.order`, then by text).
    public var xs: [String]
    /// The seed set every cell should have; a cell with another set is flagged.
    public var plannedSeeds: [Int64]
    /// Where `plannedSeeds` comes from.
    public var seedPlan: SeedPlan

    /// How the planned seed set was found.
    public enum SeedPlan: Equatable, Sendable {
        /// Every selected run records the same `planned_seeds` override.
        case recorded
        /// Runs record different sets: the most recent run's is used; `others` are the other sets recorded.
        case conflicting(others: [[Int64]])
        /// No run records one (records from before the runner wrote `planned_seeds`): the most common seed set.
        case inferred
    }

    /// The override key under which the experiment runner records the planned seeds ("1,2,3").
    public static let plannedSeedsKey = "planned_seeds"

    public struct Cell {
        public var series: String
        /// The x value as text (`ReportData.xKey`): "16" on a numeric axis, "filtered" on a categorical one.
        public var x: String
        /// Runs sorted by seed.
        public var runs: [RunRecord]
        public var seeds: [Int64] { runs.map(\.seed) }
        /// The final metric of each run, by seed (missing when a run did not report it).
        public func values(_ metric: String) -> [Int64: Double] {
            var out: [Int64: Double] = [:]
            for r in runs { if let v = r.summary[metric], v.isFinite { out[r.seed] = v } }
            return out
        }
        public func interval(_ metric: String) -> Statistics.Interval {
            let v = values(metric)
            return Statistics.meanInterval(v.keys.sorted().map { v[$0]! })
        }
    }

    /// The text naming an x value: numbers in their shortest form ("16", "0.5"), categories as given. A
    /// numeric axis reads "16", 16 and 16.0 as one value; nil when a numeric axis gets a non-number.
    public static func xKey(_ raw: String, categorical: Bool) -> String? {
        if categorical { return raw }
        return Double(raw).map(number)
    }

    /// `xKey` for a spec's x value.
    public static func xKey(_ v: ReportSpec.XValue, categorical: Bool) -> String? {
        switch v {
        case .number(let d): return number(d)
        case .text(let s): return xKey(s, categorical: categorical)
        }
    }

    /// A number as the reports print it: integers without a decimal point, others in %g.
    public static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(format: "%g", x) }

    /// Parses a `planned_seeds` override ("1,2,3"); nil when it is not a list of integers.
    public static func parseSeeds(_ text: String) -> [Int64]? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let seeds = parts.compactMap { Int64($0) }
        return seeds.isEmpty || seeds.count != parts.count ? nil : Array(Set(seeds)).sorted()
    }

    /// A config value at a dotted path, as text (strings unquoted), or nil.
    public static func configValue(_ run: RunRecord, _ path: String) -> String? {
        guard let v = run.config.flattened()[path] else { return nil }
        if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { return String(v.dropFirst().dropLast()) }
        return v
    }

    /// The records a report is made of: the selection and its parents, oldest first.
    public static func select(_ records: [ExportedRun], spec: ReportSpec) -> (runs: [ExportedRun], parents: [ExportedRun]) {
        var latest: [String: ExportedRun] = [:]
        let cellOf = Dictionary(records.map { ($0.run.id, "\($0.run.experiment)\u{1}\($0.run.cell)\u{1}\($0.run.seed)") }, uniquingKeysWith: { a, _ in a })
        // A reproduction (`lab reproduce`: a run whose parent is a run of the same cell and seed) checks its
        // parent; it does not replace it in a report.
        func isReproduction(_ r: RunRecord) -> Bool {
            r.parentID.flatMap { cellOf[$0] } == "\(r.experiment)\u{1}\(r.cell)\u{1}\(r.seed)"
        }
        for r in records where r.run.experiment == spec.experiment && r.run.status == .finished && !isReproduction(r.run) {
            guard spec.select.allSatisfy({ configValue(r.run, $0.key) == $0.value }) else { continue }
            guard configValue(r.run, spec.x.key).flatMap({ xKey($0, categorical: spec.x.categorical ?? false) }) != nil,
                  configValue(r.run, spec.series.key) != nil else { continue }
            let key = "\(r.run.cell)\u{1}\(r.run.seed)"
            if let have = latest[key], (have.run.endedAt ?? 0, have.run.id) >= (r.run.endedAt ?? 0, r.run.id) { continue }
            latest[key] = r
        }
        let byID = Dictionary(records.map { ($0.run.id, $0) }, uniquingKeysWith: { a, _ in a })
        var parents: [String: ExportedRun] = [:]
        var frontier = latest.values.compactMap(\.run.parentID)
        while let id = frontier.popLast() {
            guard parents[id] == nil, latest.values.first(where: { $0.run.id == id }) == nil, let p = byID[id] else { continue }
            parents[id] = p
            if let g = p.run.parentID { frontier.append(g) }
        }
        func order(_ a: ExportedRun, _ b: ExportedRun) -> Bool { (a.run.startedAt, a.run.id) < (b.run.startedAt, b.run.id) }
        return (latest.values.sorted(by: order), parents.values.sorted(by: order))
    }

    /// Groups the selected runs into cells (x as text: numbers in shortest form, categories as given) and
    /// finds the planned seed set.
    public init(spec: ReportSpec, records: [ExportedRun]) throws {
        self.spec = spec
        (runs, parents) = ReportData.select(records, spec: spec)
        if runs.isEmpty {
            throw ReportError.input("no finished runs of '\(spec.experiment)' match \(spec.select.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))",
                                    hint: "run the experiment's grid first (e.g. `swift run exp-\(spec.experiment) --full`), or check --db")
        }
        let categorical = spec.x.categorical ?? false
        var groups: [String: Cell] = [:]
        for e in runs {
            let s = ReportData.configValue(e.run, spec.series.key)!
            let x = ReportData.xKey(ReportData.configValue(e.run, spec.x.key)!, categorical: categorical)!
            groups["\(s)\u{1}\(x)", default: Cell(series: s, x: x, runs: [])].runs.append(e.run)
        }
        let distinct = Array(Set(groups.values.map(\.x)))
        if categorical {
            let order = spec.x.order ?? []
            xs = order.filter(distinct.contains) + distinct.filter { !order.contains($0) }.sorted()
        } else {
            xs = distinct.sorted { Double($0)! < Double($1)! }
        }
        let selected = runs, seriesKey = spec.series.key, xIndex = Dictionary(uniqueKeysWithValues: xs.enumerated().map { ($1, $0) })
        cells = groups.values.map { var c = $0; c.runs.sort { ($0.seed, $0.id) < ($1.seed, $1.id) }; return c }
            .sorted { ReportData.seriesOrder($0.series, $1.series, key: seriesKey, runs: selected) || ($0.series == $1.series && xIndex[$0.x]! < xIndex[$1.x]!) }
        (plannedSeeds, seedPlan) = ReportData.plannedSeeds(runs: runs.map(\.run), cells: cells)
    }

    /// The planned seed set: the `planned_seeds` override of the most recent run that records one (flagged
    /// as `.conflicting` when runs disagree); without any, the seed set most cells have (`.inferred`).
    public static func plannedSeeds(runs: [RunRecord], cells: [Cell]) -> ([Int64], SeedPlan) {
        let recorded = runs.compactMap { r in r.overrides[plannedSeedsKey].flatMap(parseSeeds).map { (r, $0) } }
        if let latest = recorded.max(by: { ($0.0.startedAt, $0.0.id) < ($1.0.startedAt, $1.0.id) }) {
            let others = Array(Set(recorded.map(\.1)).subtracting([latest.1])).sorted { $0.lexicographicallyPrecedes($1) }
            return (latest.1, others.isEmpty ? .recorded : .conflicting(others: others))
        }
        var counts: [[Int64]: Int] = [:]
        for c in cells { counts[c.seeds, default: 0] += 1 }
        let ranked = counts.sorted {
            ($0.value, $0.key.count) != ($1.value, $1.key.count) ? ($0.value, $0.key.count) > ($1.value, $1.key.count) : $0.key.lexicographicallyPrecedes($1.key)
        }
        let inferred = ranked.first?.key ?? []
        return (inferred, .inferred)
    }

    /// Series sort by the mean "params" final metric when runs report it (smaller models first), else by name.
    static func seriesOrder(_ a: String, _ b: String, key: String, runs: [ExportedRun]) -> Bool {
        func size(_ s: String) -> Double {
            let v = runs.filter { configValue($0.run, key) == s }.compactMap { $0.run.summary["params"] }
            return v.isEmpty ? .infinity : v.reduce(0, +) / Double(v.count)
        }
        let sa = size(a), sb = size(b)
        return sa != sb ? sa < sb : a < b
    }

    /// Distinct series, in table order.
    public var series: [String] {
        var seen: [String] = []
        for c in cells where !seen.contains(c.series) { seen.append(c.series) }
        return seen
    }

    /// The cell of `series` at x (as `xKey` text), if any run made it.
    public func cell(series: String, x: String) -> Cell? { cells.first { $0.series == series && $0.x == x } }

    /// The x values `series` has, in axis order.
    public func xs(of series: String) -> [String] { xs.filter { cell(series: series, x: $0) != nil } }

    /// What the spec names but no selected run has: metric and chance-metric keys, setup figures (runs or
    /// their parents), setup config paths. `lab tables` refuses to write a report with any of them.
    public func unreported() -> [String] {
        let all = runs.map(\.run), withParents = all + parents.map(\.run)
        var missing: [String] = []
        for m in spec.metrics where !all.contains(where: { $0.summary[m.key] != nil }) { missing.append("metric '\(m.key)'") }
        for m in spec.metrics { if let c = m.chanceMetric, !all.contains(where: { $0.summary[c] != nil }) { missing.append("chance metric '\(c)'") } }
        for m in spec.setup where !withParents.contains(where: { $0.summary[m.key] != nil }) { missing.append("setup figure '\(m.key)'") }
        for c in spec.setupConfig where !all.contains(where: { ReportData.configValue($0, c) != nil }) { missing.append("setup config '\(c)'") }
        return missing
    }
}
