import Foundation

/// A self-contained SVG heatmap for two-axis grids (e.g. model size x training tokens): series as rows, x
/// values as columns, each cell coloured by its mean on one sequential scale, with the value and n written
/// in it. Fixed-precision coordinates and colours: the same data gives the same bytes.
public enum SVGHeatmap {
    /// One grid cell: the mean (which sets the colour), its printed text, and the number of seeds.
    public struct Cell: Equatable {
        public var value: Double
        public var text: String
        public var n: Int
        public init(value: Double, text: String, n: Int) { self.value = value; self.text = text; self.n = n }
    }

    /// One row (a series): a cell per column, nil where no run made it.
    public struct Row: Equatable {
        public var name: String
        public var cells: [Cell?]
        public init(name: String, cells: [Cell?]) { self.name = name; self.cells = cells }
    }

    static let minCellWidth = 84.0, cellHeight = 40.0, left = 90.0, top = 48.0, bottom = 64.0, right = 24.0
    /// Light to dark blue: low to high mean.
    static let low = (r: 239.0, g: 243.0, b: 255.0), high = (r: 8.0, g: 69.0, b: 148.0)

    /// The fill for `t` in [0, 1] on the light-to-dark scale, as #rrggbb.
    static func colour(_ t: Double) -> String {
        let t = min(max(t.isFinite ? t : 0, 0), 1)
        func c(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * t).rounded()) }
        return String(format: "#%02x%02x%02x", c(low.r, high.r), c(low.g, high.g), c(low.b, high.b))
    }

    /// The heatmap: `rows` top to bottom, `xLabels` left to right; the colour scale spans the smallest to the
    /// largest mean shown (a single value gets the middle colour). Text is white on dark cells.
    public static func render(title: String, xLabel: String, yLabel: String, xLabels: [String], rows: [Row]) -> String {
        let f = SVGPlot.f, escape = SVGPlot.escape
        let cols = max(xLabels.count, 1)
        // Wide enough for the longest column label (about 7 px a character at 12 px) and the footnote.
        let cellWidth = max(minCellWidth, Double(xLabels.map(\.count).max() ?? 0) * 7 + 12)
        let width = max(left + Double(cols) * cellWidth + right, 440), height = top + Double(max(rows.count, 1)) * cellHeight + bottom
        let values = rows.flatMap { $0.cells.compactMap { $0?.value } }.filter(\.isFinite)
        let lo = values.min() ?? 0, hi = values.max() ?? 1
        func scaled(_ v: Double) -> Double { hi - lo < 1e-12 ? 0.5 : (v - lo) / (hi - lo) }
        var o = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="14" font-weight="bold">\(escape(title))</text>

        """
        for (j, l) in xLabels.enumerated() {
            o += "<text x=\"\(f(left + (Double(j) + 0.5) * cellWidth))\" y=\"\(f(top - 8))\" text-anchor=\"middle\">\(escape(l))</text>\n"
        }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * cellHeight
            o += "<text x=\"\(f(left - 8))\" y=\"\(f(y + cellHeight / 2 + 4))\" text-anchor=\"end\">\(escape(row.name))</text>\n"
            for j in 0..<cols {
                let x = left + Double(j) * cellWidth, cx = x + cellWidth / 2
                guard j < row.cells.count, let c = row.cells[j] else {
                    o += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cellWidth))\" height=\"\(f(cellHeight))\" fill=\"#f4f4f4\" stroke=\"white\"/>\n"
                    o += "<text x=\"\(f(cx))\" y=\"\(f(y + cellHeight / 2 + 4))\" text-anchor=\"middle\" fill=\"#999\">–</text>\n"
                    continue
                }
                let t = scaled(c.value), ink = t > 0.55 ? "white" : "black"
                o += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cellWidth))\" height=\"\(f(cellHeight))\" fill=\"\(colour(t))\" stroke=\"white\"/>\n"
                o += "<text x=\"\(f(cx))\" y=\"\(f(y + cellHeight / 2 - 2))\" text-anchor=\"middle\" fill=\"\(ink)\">\(escape(c.text))</text>\n"
                o += "<text x=\"\(f(cx))\" y=\"\(f(y + cellHeight / 2 + 12))\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(ink)\">n=\(c.n)</text>\n"
            }
        }
        let gridBottom = top + Double(max(rows.count, 1)) * cellHeight
        o += "<text x=\"\(f(left + Double(cols) * cellWidth / 2))\" y=\"\(f(gridBottom + 22))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        o += "<text transform=\"translate(16 \(f(top + (gridBottom - top) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        o += "<text x=\"\(f(left))\" y=\"\(f(gridBottom + 44))\" font-size=\"10\" fill=\"#555\">colour: mean over seeds, light (lowest) to dark (highest); n: seeds</text>\n"
        o += "</svg>\n"
        return o
    }
}
