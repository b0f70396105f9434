import XCTest
@testable import Evaluation

final class ContaminationTests: XCTestCase {
    let items = [
        ContaminationCheck.Item(pair: "prepend(k)\u{1}geplor", prompt: "### What do you get by placing k before geplor?\n>> ", answer: "kgeplor"),
        ContaminationCheck.Item(pair: "double(-)\u{1}brasun", prompt: "### What is brasun with all letters doubled?\n>> ", answer: "bbrraassuunn"),
    ]
    let clean = [
        ContaminationCheck.Source(name: "pretraining text", texts: ["lamp with k in front gives: klamp", "mirot backwards gives: torim"]),
        ContaminationCheck.Source(name: "finetuning examples", pairs: ["prepend(k)\u{1}lamp"], texts: ["### Put the letter k in front of lamp.\n>> klamp"]),
    ]

    func testCleanDataPasses() throws {
        let f = try ContaminationCheck().require(items: items, sources: clean)
        XCTAssertEqual(f.map(\.items), [0, 0])
    }

    func testPlantedExampleIsCaughtByPairAndNgram() {
        var leaky = clean
        // The evaluation item itself, in a training template: same (task, input), different wording.
        leaky[1].pairs.insert("prepend(k)\u{1}geplor")
        leaky[1].texts.append("### Put the letter k in front of geplor.\n>> kgeplor")
        let f = ContaminationCheck().run(items: items, sources: leaky)
        XCTAssertEqual(f[1].pairHits, 1)
        XCTAssertEqual(f[1].items, 1)
        XCTAssertThrowsError(try ContaminationCheck().require(items: items, sources: leaky)) { error in
            XCTAssertTrue("\(error)".contains("finetuning examples"), "\(error)")
        }
    }

    func testPlantedTextIsCaughtWithoutPairs() {
        // The exact item (other punctuation and case) inside a long pretraining document: the n-gram test.
        var leaky = clean
        leaky[0].texts.append("some text WHAT do you get by placing k before geplor >> kgeplor and more text")
        let f = ContaminationCheck().run(items: items, sources: leaky)
        XCTAssertEqual(f[0].ngramHits, 1)
        XCTAssertEqual(f[0].pairHits, 0)
    }

    func testIdentifyingAnswerIsCaughtButShortAnswersAreNot() {
        var leaky = clean
        // A long answer of an item in plain text (identifies the item); a short one collides by chance and is not counted.
        leaky[0].texts.append("brasun with every letter twice gives: bbrraassuunn")
        leaky[0].texts.append("eplor with g in front gives: geplor kgeplor")
        let f = ContaminationCheck().run(items: items, sources: leaky)
        XCTAssertEqual(f[0].answerHits, 1)
        XCTAssertEqual(f[0].items, 1)
    }

    func testAPlainLineOfTheSameTaskAndInputIsCaughtByItsPair() {
        // The held-out item's (task, input) in the pretraining phrasing: other words, so only the pair finds it.
        var leaky = clean
        leaky[0].texts.append("geplor with k in front gives: kgeplor")
        XCTAssertEqual(ContaminationCheck().run(items: items, sources: leaky)[0].items, 0, "the text tests cannot see a reworded leak")
        leaky[0].pairs.insert("prepend(k)\u{1}geplor")
        XCTAssertEqual(ContaminationCheck().run(items: items, sources: leaky)[0].pairHits, 1)
    }

    func testNgramsDoNotCrossPieces() {
        var split = clean
        split[0].texts += ["what do you get by placing", "k before geplor kgeplor"]
        XCTAssertEqual(ContaminationCheck().run(items: items, sources: split)[0].items, 0)
    }
}
