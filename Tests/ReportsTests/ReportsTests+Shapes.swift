import Foundation
import Ledger
import XCTest
@testable import Reports

/// Report shapes for the coming experiments: categorical x, claims between any two cells, several claims,
/// chance floors, bars over categories and the heatmap. Same temporary repository and ledger as `ReportsTests`.
extension ReportsTests {
    struct FilterConfig: Codable { var role = "toy"; var size: String; var condition: String; var steps = 10 }

    static let conditions = ["unfiltered", "filtered", "filtered+textbook"]

    func writeFilterSpec(order: Bool = true) throws {
        try write("""
        {"experiment": "toy", "title": "Toy filtering", "paper": "papers/toy.md", "notebook": "experiments/toy/main.swift",
         "select": {"role": "toy"},
         "x": {"key": "condition", "label": "data", "categorical": true\(order ? ", \"order\": [\"unfiltered\", \"filtered\", \"filtered+textbook\"]" : "")},
         "series": {"key": "size", "label": "size"},
         "metrics": [{"key": "acc", "label": "accuracy", "percent": true, "chance_metric": "acc_chance"},
                     {"key": "pass", "label": "pass@1", "percent": true, "chance": 0.1},
                     {"key": "copy", "label": "copies", "percent": true},
                     {"key": "loss", "label": "loss"}],
         "setup": [], "setup_config": [],
         "claims": [{"id": "filter", "text": "Filtering beats the unfiltered corpus", "metric": "acc",
                     "baseline": {"x": "unfiltered"}, "treatment": {"x": "filtered"}, "direction": "increase", "min_effect": 0.02},
                    {"id": "size", "text": "M beats S with textbooks", "metric": "acc",
                     "baseline": {"series": "S", "x": "filtered+textbook"}, "treatment": {"series": "M", "x": "filtered+textbook"},
                     "direction": "increase", "min_effect": 0.02},
                    {"id": "loss", "text": "Filtering lowers the loss", "metric": "loss", "from": "unfiltered", "to": "filtered",
                     "direction": "decrease", "min_effect": 0.01}],
         "plots": [{"kind": "bars", "metric": "acc", "title": "Accuracy by data"},
                   {"kind": "line", "metric": "pass", "title": "pass@1"},
                   {"kind": "heatmap", "metric": "acc", "title": "Accuracy grid"}]}
        """, "experiments/toy/report.json")
    }

    /// acc = 0.3 (S) or 0.4 (M) + 0.1 per condition step + seed noise; chance 0.25.
    func recordFilterGrid(seeds: [Int64] = [1, 2, 3]) throws {
        for size in ["S", "M"] {
            for (k, condition) in Self.conditions.enumerated() {
                for seed in seeds {
                    let acc = (size == "S" ? 0.3 : 0.4) + 0.1 * Double(k) + Self.noise(seed, k + (size == "S" ? 0 : 5))
                    try recordRun(FilterConfig(size: size, condition: condition), cell: "size=\(size),condition=\(condition)", seed: seed,
                                  summary: ["acc": acc, "acc_chance": 0.25, "pass": acc / 2, "copy": 0, "loss": 2 - acc])
                }
            }
        }
    }

    func testCategoricalXKeepsTheDeclaredOrder() throws {
        try writeFilterSpec()
        try recordFilterGrid()
        let spec = try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root))
        let data = try ReportData(spec: spec, records: try ledger.export(experiment: "toy"))
        XCTAssertEqual(data.xs, Self.conditions)
        // Series by name (no "params" reported), then x in the declared order, not alphabetical.
        XCTAssertEqual(data.cells.map { "\($0.series)/\($0.x)" },
                       ["M/unfiltered", "M/filtered", "M/filtered+textbook", "S/unfiltered", "S/filtered", "S/filtered+textbook"])
        // Without "order": sorted by text.
        try writeFilterSpec(order: false)
        let unordered = try ReportData(spec: try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root)),
                                       records: try ledger.export(experiment: "toy"))
        XCTAssertEqual(unordered.xs, ["filtered", "filtered+textbook", "unfiltered"])
    }

    func testGeneralClaimsSeveralVerdictsChanceColumnsAndPlots() throws {
        try writeFilterSpec()
        try recordFilterGrid()
        let files = try Tables.generate(experiment: "toy", root: root, ledger: ledger)
        XCTAssertEqual(files.map(\.name), ["toy.runs.jsonl", "toy.md", "toy-acc-bars.svg", "toy-pass-line.svg", "toy-acc-heatmap.svg"])
        XCTAssertEqual(try Tables.generate(experiment: "toy", root: root, ledger: ledger).map(\.content), files.map(\.content), "deterministic")
        let md = files[1].content

        // Results: chance columns right after their metrics; categorical rows in the declared order.
        XCTAssertTrue(md.contains("| size | data | n | accuracy | chance | pass@1 | chance | copies | loss | Δ accuracy | runs |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"), md)
        let rows = md.components(separatedBy: "\n").filter { $0.hasPrefix("| S | ") }.map { $0.components(separatedBy: " | ")[1] }
        XCTAssertEqual(rows, Self.conditions, md)
        XCTAssertTrue(md.contains("| 25.0% |") && md.contains("| 10.0% |"), md)
        XCTAssertTrue(md.contains("| S | unfiltered | 3 |") && md.contains("(baseline)"), md)
        XCTAssertTrue(md.contains("⚠ No chance floor declared for copies (percentages)"), md)
        XCTAssertFalse(md.contains("No chance floor declared for accuracy"), md)

        // Three claims, each with an overall line and its own table.
        XCTAssertTrue(md.contains("Overall:\n\n- Filtering beats the unfiltered corpus: **replicated**\n- M beats S with textbooks: **replicated**\n- Filtering lowers the loss: **replicated**\n"), md)
        XCTAssertTrue(md.contains("**Filtering beats the unfiltered corpus**: **replicated** at this scale."), md)
        XCTAssertTrue(md.contains("| size S: data filtered vs unfiltered | +"), md)
        XCTAssertTrue(md.contains("| size M: data filtered vs unfiltered | +"), md)
        XCTAssertTrue(md.contains("| size M vs S at data filtered+textbook | +"), md)
        XCTAssertFalse(md.contains("| size S vs S"), md)
        XCTAssertEqual(md.components(separatedBy: "| compared |").count - 1, 3)
        XCTAssertTrue(md.contains("Pairing: by seed (the same seed in both cells = the same draws); every seed is paired."), md)

        // Plots: bars over categories with the chance floor dashed; a heatmap with value and n per cell.
        let bars = files[2].content, line = files[3].content, heat = files[4].content
        XCTAssertTrue(bars.contains(">filtered+textbook<") && bars.contains("stroke-dasharray") && bars.contains(">chance<"), bars)
        XCTAssertTrue(line.contains("<polyline") && line.contains("stroke-dasharray"), line)
        XCTAssertTrue(heat.hasPrefix("<svg") && heat.contains(">n=3<") && heat.contains(">size<"), heat)
        XCTAssertEqual(heat.components(separatedBy: ">n=3<").count - 1, 6)
        XCTAssertTrue(heat.contains("fill=\"#eff3ff\"") && heat.contains("fill=\"#084594\""), "lowest and highest means get the ends of the scale")
        // The committed records alone give the same bytes.
        try Tables.write(files, root: root)
        XCTAssertEqual(try Tables.check(experiment: "toy", root: root), [])
    }

    func testClaimSidesResolveToCellPairs() throws {
        try writeFilterSpec()
        try recordFilterGrid(seeds: [1, 2])
        let spec = try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root))
        let data = try ReportData(spec: spec, records: try ledger.export(experiment: "toy"))
        func pairs(_ c: ReportSpec.Claim) -> [String] { data.comparisons(c).map { "\($0.baseline.series)/\($0.baseline.x)->\($0.treatment.series)/\($0.treatment.x)" } }
        XCTAssertEqual(pairs(spec.claims[0]), ["M/unfiltered->M/filtered", "S/unfiltered->S/filtered"])
        XCTAssertEqual(pairs(spec.claims[1]), ["S/filtered+textbook->M/filtered+textbook"])
        XCTAssertEqual(pairs(spec.claims[2]), ["M/unfiltered->M/filtered", "S/unfiltered->S/filtered"])
        var claim = spec.claims[1]
        claim.baseline = ReportSpec.Side(series: "S")          // S vs M at every x
        claim.treatment = ReportSpec.Side(series: "M")
        XCTAssertEqual(pairs(claim), Self.conditions.map { "S/\($0)->M/\($0)" })
        claim.treatment = ReportSpec.Side(x: .text("filtered"))  // every series against S at that x
        XCTAssertEqual(pairs(claim), ["S/filtered->M/filtered"])
        claim.from = .text("filtered"); claim.baseline = nil; claim.treatment = nil   // the shorthand: the last x of each series
        XCTAssertEqual(pairs(claim), ["M/filtered->M/filtered+textbook", "S/filtered->S/filtered+textbook"])
        // A side naming no cell gives a row without a test, not a verdict.
        claim.from = .text("unfiltred")
        let typo = data.evaluate(claim)
        XCTAssertEqual(typo.results.map(\.verdict), [.inconclusive, .inconclusive])
        XCTAssertNil(typo.results[0].test)
        // Unpaired seeds are reported.
        try recordRun(FilterConfig(size: "S", condition: "filtered"), cell: "size=S,condition=filtered", seed: 9, summary: ["acc": 0.5, "loss": 1])
        let again = try ReportData(spec: spec, records: try ledger.export(experiment: "toy"))
        let r = try XCTUnwrap(again.evaluate(spec.claims[0]).results.first { $0.treatment.series == "S" })
        XCTAssertEqual(r.pairedSeeds, [1, 2])
        XCTAssertEqual(r.unpairedSeeds, [9])
        XCTAssertTrue(ReportRenderer.summary(again).contains("left unpaired: size S: data filtered vs unfiltered: seed 9."))
    }

    func testSpecsDecodeBothClaimSpellingsAndRejectBadOnes() throws {
        // The committed task-scaling spec (shorthand, numeric x) still loads.
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let ts = try ReportSpec.load(path: ReportSpec.path(experiment: "task-scaling", root: repo))
        XCTAssertEqual(ts.claims[0].from, .number(0))
        XCTAssertTrue(ts.claims[0].comparesToLargest)
        XCTAssertNil(ts.x.categorical)

        try writeFilterSpec()
        let good = try String(contentsOfFile: root + "/experiments/toy/report.json", encoding: .utf8)
        let bad: [(String, String)] = [
            ("\"baseline\": {\"x\": \"unfiltered\"}, \"treatment\"", "\"from\": \"unfiltered\", \"baseline\": {\"x\": \"unfiltered\"}, \"treatment\""),
            ("\"treatment\": {\"x\": \"filtered\"}, ", ""),
            ("{\"kind\": \"heatmap\"", "{\"kind\": \"pie\""),
            ("\"chance\": 0.1", "\"chance\": 0.1, \"chance_metric\": \"acc_chance\""),
            ("{\"series\": \"M\", \"x\": \"filtered+textbook\"}", "{\"series\": \"S\", \"x\": \"filtered+textbook\"}"),
        ]
        for (from, to) in bad {
            XCTAssertTrue(good.contains(from), from)
            try write(good.replacingOccurrences(of: from, with: to), "experiments/toy/report.json")
            XCTAssertThrowsError(try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root)), to)
        }
    }
}
