import Foundation
import Ledger

/// `lab tables`: exports an experiment's report runs from the ledger beside the report
/// (`ablations/<experiment>.runs.jsonl`), then renders the report from exactly that file; `check`
/// renders from the committed file and compares bytes.
public enum Tables {
    /// Per-step series are thinned to at most this many points per metric (first and last kept), so
    /// committed records stay small; reports use final metrics only.
    public static let maxPointsPerMetric = 64

    public static func recordsName(_ experiment: String) -> String { "\(experiment).runs.jsonl" }

    /// Keeps at most `maxPoints` evenly spaced points of each metric series, always the first and last.
    public static func thin(_ r: ExportedRun, maxPoints: Int = maxPointsPerMetric) -> ExportedRun {
        var out = r
        let byKey = Dictionary(grouping: r.metrics, by: \.key)
        out.metrics = byKey.keys.sorted().flatMap { key -> [MetricPoint] in
            let pts = byKey[key]!.sorted { $0.step < $1.step }
            guard pts.count > maxPoints else { return pts }
            let idx = Set((0..<maxPoints).map { Int((Double($0) * Double(pts.count - 1) / Double(maxPoints - 1)).rounded()) })
            return idx.sorted().map { pts[$0] }
        }
        return out
    }

    /// One JSON object per line, keys sorted: the same records give the same bytes.
    public static func encode(_ records: [ExportedRun]) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try records.map { String(decoding: try enc.encode($0), as: UTF8.self) + "\n" }.joined()
    }

    public static func decode(_ text: String, source: String) throws -> [ExportedRun] {
        var out: [ExportedRun] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do { out.append(try JSONDecoder().decode(ExportedRun.self, from: Data(line.utf8))) } catch {
                throw ReportError.input("\(source):\(i + 1) is not a run record: \(error)", hint: "regenerate it with `lab tables`")
            }
        }
        return out
    }

    /// The report's files under `ablations/`: the records file, the Markdown and its plots.
    public static func generate(experiment: String, root: String, ledger: Ledger) throws -> [(name: String, content: String)] {
        let spec = try ReportSpec.load(path: ReportSpec.path(experiment: experiment, root: root))
        var records = try ledger.export(experiment: spec.experiment)
        // Parents recorded under another experiment name still belong to the report.
        let known = Set(records.map(\.run.id))
        for parent in Set(records.compactMap(\.run.parentID)).subtracting(known).sorted() {
            if let r = try? ledger.run(parent) { records.append(try ledger.exportRun(r.id)) }
        }
        let (runs, parents) = ReportData.select(records, spec: spec)
        let missing = try ReportData(spec: spec, records: records).unreported()
        if !missing.isEmpty {
            throw ReportError.input("experiments/\(experiment)/report.json names what no selected run reports: \(missing.joined(separator: ", "))",
                                    hint: "fix the spec's keys, or run the grid whose runs report them")
        }
        let text = try encode((parents + runs).sorted { ($0.run.startedAt, $0.run.id) < ($1.run.startedAt, $1.run.id) }.map { thin($0) })
        return try [(recordsName(experiment), text)] + render(spec: spec, recordsText: text, root: root)
    }

    /// Renders from the records text alone (what `--check` and a fresh clone do).
    public static func render(spec: ReportSpec, recordsText: String, root: String) throws -> [(name: String, content: String)] {
        let records = try decode(recordsText, source: recordsName(spec.experiment))
        return try ReportRenderer.render(ReportData(spec: spec, records: records), root: root, recordsFile: recordsName(spec.experiment))
    }

    /// Writes files into `root/ablations/` (each through a temporary file and a rename).
    public static func write(_ files: [(name: String, content: String)], root: String) throws {
        let dir = root + "/ablations"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in files {
            let tmp = dir + "/.\(f.name).tmp"
            try Data(f.content.utf8).write(to: URL(fileURLWithPath: tmp))
            if rename(tmp, dir + "/" + f.name) != 0 { throw ReportError.input("cannot write \(dir)/\(f.name)", hint: String(cString: strerror(errno))) }
        }
    }

    /// Experiments with committed records in `root/ablations/`.
    public static func committedExperiments(root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/ablations")) ?? []
        return names.filter { $0.hasSuffix(".runs.jsonl") }.map { String($0.dropLast(".runs.jsonl".count)) }.sorted()
    }

    /// Regenerates `experiment`'s report from its committed records; returns the files that would change
    /// (empty when the committed report is exactly what the records give).
    public static func check(experiment: String, root: String) throws -> [String] {
        let spec = try ReportSpec.load(path: ReportSpec.path(experiment: experiment, root: root))
        let recordsPath = root + "/ablations/" + recordsName(experiment)
        guard let text = try? String(contentsOfFile: recordsPath, encoding: .utf8) else {
            throw ReportError.input("no committed records at ablations/\(recordsName(experiment))", hint: "run `lab tables \(experiment)` and commit its output")
        }
        var changed: [String] = []
        for f in try render(spec: spec, recordsText: text, root: root) {
            let have = try? String(contentsOfFile: root + "/ablations/" + f.name, encoding: .utf8)
            if have != f.content { changed.append("ablations/" + f.name + (have == nil ? " (missing)" : " (differs)")) }
        }
        return changed
    }
}
