import XCTest
@testable import Reports

extension ReportsTests {
    /// A cell without a value (a metric not reported at x = 0) draws nothing, never a "nan" coordinate; a
    /// percentage's axis stays within 0-100% however wide an interval is.
    func testPlotsSkipMissingValuesAndKeepPercentagesInRange() {
        let series = [SVGPlot.Series(name: "S", points: [(Double.nan, Double.nan, Double.nan), (0.1, -0.3, 0.5), (0.7, 0.2, 1.4)])]
        for kind in ["line", "bars"] {
            let svg = SVGPlot.render(kind: kind, title: "t", xLabel: "x", yLabel: "y", xLabels: ["0", "1", "2"], series: series, percent: true)
            XCTAssertFalse(svg.lowercased().contains("nan"), kind)
            XCTAssertTrue(svg.contains(">0</text>") && svg.contains(">100</text>"), kind)
            XCTAssertFalse(svg.contains(">-"), "\(kind): no negative percentage tick")
        }
    }
}
