import XCTest

/// Largest absolute difference of two arrays (and where), for messages that say how far off a result is.
public func maxDiff(_ a: [Float], _ b: [Float]) -> (value: Float, index: Int) {
    precondition(a.count == b.count, "arrays of \(a.count) and \(b.count)")
    var m: Float = 0, at = 0
    for i in 0..<a.count { let d = abs(a[i] - b[i]); if d > m || d.isNaN { m = d; at = i } }
    return (m, at)
}

/// Asserts |a - b| <= atol + rtol |b| elementwise; the failure message names the largest difference.
public func assertClose(_ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-4, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): counts differ", file: file, line: line)
    guard a.count == b.count else { return }
    var worst: (Float, Int) = (0, 0)
    var ok = true
    for i in 0..<a.count {
        let d = abs(a[i] - b[i])
        if !(d <= atol + rtol * abs(b[i])) { ok = false }
        if d > worst.0 || d.isNaN { worst = (d, i) }
    }
    XCTAssertTrue(ok, "\(what): largest difference \(worst.0) at index \(worst.1) (\(a[worst.1]) vs \(b[worst.1]))", file: file, line: line)
}
