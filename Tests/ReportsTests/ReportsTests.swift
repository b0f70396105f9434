import XCTest
@testable import Reports

final class ReportsSmokeTests: XCTestCase {
    func testVerdictRuleIsStated() { XCTAssertTrue(Verdict.rule.contains("min_effect")) }
}
