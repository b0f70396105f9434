import Foundation

/// Self-contained SVG charts (no scripts, no external fonts), readable in a browser and on GitHub, with
/// fixed-precision coordinates so the same data gives the same bytes.
public enum SVGPlot {
    /// One series: a value with its interval at each x position (nil where the cell is missing).
    public struct Series {
        public var name: String
        public var points: [(mean: Double, low: Double, high: Double)?]
        public init(name: String, points: [(mean: Double, low: Double, high: Double)?]) { self.name = name; self.points = points }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    static let width = 640.0, height = 400.0
    static let left = 64.0, right = 150.0, top = 40.0, bottom = 56.0

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A y range covering every finite mean and bound, with round ticks.
    static func yTicks(_ series: [Series], scale: Double, extra: [Double] = []) -> (lo: Double, hi: Double, ticks: [Double]) {
        var vals: [Double] = [0] + extra.filter(\.isFinite).map { $0 * scale }
        for s in series { for p in s.points { if let p { vals += [p.mean, p.low, p.high].filter(\.isFinite).map { $0 * scale } } } }
        var lo = vals.min()!, hi = vals.max()!
        if scale == 100 { lo = max(lo, 0); hi = min(hi, 100) }   // a percentage's interval is drawn within 0-100%
        if hi - lo < 1e-12 { hi = lo + 1 }
        let raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        lo = floor(lo / step) * step; hi = ceil(hi / step) * step
        return (lo, hi, stride(from: lo, through: hi + step / 2, by: step).map { $0 })
    }

    /// A chart: "line" draws each series as a line with a shaded 95% band; "bars" draws grouped bars with
    /// 95% error bars. `xLabels` name the positions (equally spaced: a ladder like 0, 4, 16, 64 reads well,
    /// and so do categories). `chance` gives the chance floor at each position (nil where unknown; empty for
    /// none), drawn as a dashed grey line across the chart (a segment per group for bars).
    public static func render(kind: String, title: String, xLabel: String, yLabel: String, xLabels: [String],
                              series: [Series], percent: Bool, chance: [Double?] = []) -> String {
        let scale = percent ? 100.0 : 1.0
        let (lo, hi, ticks) = yTicks(series, scale: scale, extra: chance.compactMap { $0 })
        let pw = width - left - right, ph = height - top - bottom
        let n = max(xLabels.count, 1)
        func px(_ i: Int) -> Double { kind == "bars" ? left + pw * (Double(i) + 0.5) / Double(n) : left + (n == 1 ? pw / 2 : pw * Double(i) / Double(n - 1)) }
        func py(_ v: Double) -> Double { top + ph * (1 - (v * scale - lo) / (hi - lo)) }
        func clampY(_ v: Double) -> Double { min(max(py(v), top), top + ph) }
        var o = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + pw / 2))" y="22" text-anchor="middle" font-size="14" font-weight="bold">\(escape(title))</text>

        """
        for t in ticks {
            let y = top + ph * (1 - (t - lo) / (hi - lo))
            o += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + pw))\" y2=\"\(f(y))\" stroke=\"#e0e0e0\"/>\n"
            o += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(String(format: "%g", (t * 1e6).rounded() / 1e6)))</text>\n"
        }
        o += "<line x1=\"\(f(left))\" y1=\"\(f(top + ph))\" x2=\"\(f(left + pw))\" y2=\"\(f(top + ph))\" stroke=\"black\"/>\n"
        o += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + ph))\" stroke=\"black\"/>\n"
        for (i, l) in xLabels.enumerated() {
            o += "<text x=\"\(f(px(i)))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\">\(escape(l))</text>\n"
        }
        o += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        o += "<text transform=\"translate(16 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel + (percent ? " (%)" : "")))</text>\n"
        let groupWidth = pw / Double(n) * 0.8, barWidth = groupWidth / Double(max(series.count, 1))
        for (k, s) in series.enumerated() {
            let color = palette[k % palette.count]
            // A cell without a value (nil, or a NaN mean: the metric was not reported) draws nothing.
            let pts = s.points.enumerated().compactMap { i, p in p.flatMap { $0.mean.isFinite ? (i, $0) : nil } }
            if kind == "line" {
                let band = pts.filter { $0.1.low.isFinite && $0.1.high.isFinite }
                if band.count >= 2 {
                    let upper = band.map { "\(f(px($0.0))),\(f(clampY($0.1.high)))" }
                    let lower = band.reversed().map { "\(f(px($0.0))),\(f(clampY($0.1.low)))" }
                    o += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
                }
                o += "<polyline points=\"\(pts.map { "\(f(px($0.0))),\(f(py($0.1.mean)))" }.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
                for (i, p) in pts { o += "<circle cx=\"\(f(px(i)))\" cy=\"\(f(py(p.mean)))\" r=\"3.5\" fill=\"\(color)\"/>\n" }
            } else {
                for (i, p) in pts {
                    let x0 = px(i) - groupWidth / 2 + barWidth * Double(k)
                    let y = py(p.mean), y0 = py(max(lo / scale, min(0, hi / scale)))
                    o += "<rect x=\"\(f(x0))\" y=\"\(f(min(y, y0)))\" width=\"\(f(barWidth * 0.9))\" height=\"\(f(abs(y0 - y)))\" fill=\"\(color)\"/>\n"
                    if p.low.isFinite && p.high.isFinite {
                        let cx = x0 + barWidth * 0.45
                        o += "<path d=\"M\(f(cx)) \(f(clampY(p.low)))V\(f(clampY(p.high)))M\(f(cx - 4)) \(f(clampY(p.low)))h8M\(f(cx - 4)) \(f(clampY(p.high)))h8\" stroke=\"black\" fill=\"none\"/>\n"
                    }
                }
            }
            let ly = top + 10 + Double(k) * 20
            o += "<rect x=\"\(f(width - right + 16))\" y=\"\(f(ly - 9))\" width=\"14\" height=\"10\" fill=\"\(color)\"/>\n"
            o += "<text x=\"\(f(width - right + 36))\" y=\"\(f(ly))\">\(escape(s.name))</text>\n"
        }
        let chancePoints = chance.enumerated().compactMap { i, c in c.map { (i, $0) } }
        if !chancePoints.isEmpty {
            let dash = "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" fill=\"none\""
            if kind == "line" {
                // A constant floor spans the whole width; one that varies with x joins its points.
                let xs = chancePoints.count == 1 ? [left, left + pw] : chancePoints.map { px($0.0) }
                let ys = chancePoints.count == 1 ? [chancePoints[0].1, chancePoints[0].1] : chancePoints.map(\.1)
                o += "<polyline points=\"\(zip(xs, ys).map { "\(f($0)),\(f(clampY($1)))" }.joined(separator: " "))\" \(dash)/>\n"
            } else {
                for (i, c) in chancePoints {
                    o += "<path d=\"M\(f(px(i) - groupWidth / 2 - 4)) \(f(clampY(c)))H\(f(px(i) + groupWidth / 2 + 4))\" \(dash)/>\n"
                }
            }
            let ly = top + 10 + Double(series.count) * 20
            o += "<path d=\"M\(f(width - right + 16)) \(f(ly - 4))h14\" \(dash)/>\n"
            o += "<text x=\"\(f(width - right + 36))\" y=\"\(f(ly))\">chance</text>\n"
        }
        let legendRows = series.count + (chancePoints.isEmpty ? 0 : 1)
        let note = [kind == "line" ? "band: 95% interval" : "bars: 95% interval", "over seeds" + (percent ? ", within 0-100%" : "")]
        for (j, line) in note.enumerated() {
            o += "<text x=\"\(f(width - right + 16))\" y=\"\(f(top + 10 + Double(legendRows) * 20 + 8 + Double(j) * 12))\" font-size=\"10\" fill=\"#555\">\(line)</text>\n"
        }
        o += "</svg>\n"
        return o
    }
}
