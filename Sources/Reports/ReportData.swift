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
    /// The seed set most cells have; a cell with another set is flagged.
    public var expectedSeeds: [Int64]

    public struct Cell {
        public var series: String
        public var x: Double
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

    /// A config value at a dotted path, as text (strings unquoted), or nil.
    public static func configValue(_ run: RunRecord, _ path: String) -> String? {
        guard let v = run.config.flattened()[path] else { return nil }
        if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { return String(v.dropFirst().dropLast()) }
        return v
    }

    /// The records a report is made of: the selection and its parents, oldest first.
    public static func select(_ records: [ExportedRun], spec: ReportSpec) -> (runs: [ExportedRun], parents: [ExportedRun]) {
        var latest: [String: ExportedRun] = [:]
        for r in records where r.run.experiment == spec.experiment && r.run.status == .finished {
            guard spec.select.allSatisfy({ configValue(r.run, $0.key) == $0.value }) else { continue }
            guard configValue(r.run, spec.x.key).flatMap(Double.init) != nil, configValue(r.run, spec.series.key) != nil else { continue }
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

    /// Groups the selected runs into cells and finds the expected seed set.
    public init(spec: ReportSpec, records: [ExportedRun]) throws {
        self.spec = spec
        (runs, parents) = ReportData.select(records, spec: spec)
        if runs.isEmpty {
            throw ReportError.input("no finished runs of '\(spec.experiment)' match \(spec.select.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))",
                                    hint: "run the experiment's grid first (e.g. `swift run exp-\(spec.experiment) --full`), or check --db")
        }
        var groups: [String: Cell] = [:]
        for e in runs {
            let s = ReportData.configValue(e.run, spec.series.key)!, x = Double(ReportData.configValue(e.run, spec.x.key)!)!
            groups["\(s)\u{1}\(x)", default: Cell(series: s, x: x, runs: [])].runs.append(e.run)
        }
        let selected = runs, seriesKey = spec.series.key
        cells = groups.values.map { var c = $0; c.runs.sort { ($0.seed, $0.id) < ($1.seed, $1.id) }; return c }
            .sorted { ReportData.seriesOrder($0.series, $1.series, key: seriesKey, runs: selected) || ($0.series == $1.series && $0.x < $1.x) }
        var counts: [[Int64]: Int] = [:]
        for c in cells { counts[c.seeds, default: 0] += 1 }
        expectedSeeds = counts.max { ($0.value, $0.key.count) < ($1.value, $1.key.count) }?.key ?? []
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

    public func cell(series: String, x: Double) -> Cell? { cells.first { $0.series == series && $0.x == x } }
}
