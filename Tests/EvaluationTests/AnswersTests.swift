import XCTest
import Models
import Tensor
import Text
@testable import Evaluation

final class AnswersTests: XCTestCase {
    let chars = CharTokenizer()

    /// Teacher-forced exact match agrees with greedy generation, and the answer's log-probability equals the
    /// cross-entropy the model's own loss gives on the answer positions.
    func testTeacherForcingAgreesWithGenerationAndLoss() throws {
        let model = try GPT(config: GPTConfig(blockSize: 24, vocabSize: 128, nLayer: 1, nHead: 2, nEmbd: 16), seed: 3)
        let prompts = ["ab", "hello ", "x", "a longer prompt:"]
        let greedy = try model.generate(prompts: prompts.map(chars.encode), GenerationConfig(maxNewTokens: 3))
        var items: [(prompt: [Int32], answer: [Int32])] = []
        for (p, g) in zip(prompts, greedy) {
            items.append((chars.encode(p), g.tokens))                        // what greedy decoding gives: exact
            var other = g.tokens; other[1] = (other[1] + 1) % 128            // one token off: not exact
            items.append((chars.encode(p), other))
        }
        let scores = try Answers.teacherForced(model, items, batch: 3)
        XCTAssertEqual(scores.map(\.exact), [true, false, true, false, true, false, true, false])
        for (it, s) in zip(items, scores) {
            let ids = it.prompt + it.answer
            let targets = (1..<ids.count).map { $0 >= it.prompt.count ? ids[$0] : -1 }
            let loss = try model.forward(Array(ids.dropLast()), batch: 1, targets: targets).loss!
            XCTAssertEqual(s.logProb, -Double(loss.storage.pointer[0]) * Double(it.answer.count), accuracy: 1e-4)
            XCTAssertEqual(s.tokens, it.answer.count)
        }
        XCTAssertThrowsError(try Answers.teacherForced(model, [([], [1])]))
    }

    func testGreedyExactMatchGroups() throws {
        let model = try GPT(config: GPTConfig(blockSize: 24, vocabSize: 128, nLayer: 1, nHead: 2, nEmbd: 16), seed: 3)
        let prompts = ["ab", "cd", "ef"]
        let got = try Answers.greedy(model, prompts: prompts, tokenizer: chars, stop: 10, maxNew: 4, batch: 2)
        let (acc, answers) = try Answers.exactMatch(model, prompts: prompts, references: [got[0], "zz", got[2]], groups: ["g", "g", "h"],
                                                    tokenizer: chars, stop: 10, maxNew: 4)
        XCTAssertEqual(answers, got)
        XCTAssertEqual(acc.accuracy("g"), 0.5)
        XCTAssertEqual(acc.accuracy("h"), 1)
    }

    func testGroupedAccuracyMacroAndMicro() {
        var a = GroupedAccuracy()
        a.add("big", predictions: ["1", "2", "3", "4"], references: ["1", "2", "3", "x"])   // 3/4
        a.add("small", correct: false)                                                      // 0/1
        XCTAssertEqual(a.macro, 0.375)
        XCTAssertEqual(a.micro, 0.6)
        XCTAssertEqual(a.items, 5)
        XCTAssertTrue(GroupedAccuracy().macro.isNaN)
    }

    /// The macro average sums groups in sorted order, so it is the same to the last bit in every process
    /// (a dictionary's order is not; `lab reproduce` caught a last-bit difference before this).
    func testMacroAverageIsIndependentOfDictionaryOrder() {
        var a = GroupedAccuracy()
        var items: [ChanceFloor.Item] = []
        for g in 0..<40 {
            for i in 0..<(3 + g % 7) { a.add("g\(g)", correct: i % 3 == 0) }
            items.append(ChanceFloor.Item(group: "g\(g)", input: "x", answer: "y", guessChance: 1 / Double(3 + g % 7)))
        }
        let byHand = a.perGroup.keys.sorted().reduce(0) { $0 + a.perGroup[$1]! } / 40
        XCTAssertEqual(a.macro.bitPattern, byHand.bitPattern)
        let floors = ChanceFloor.perGroup(items)
        XCTAssertEqual(ChanceFloor.macro(items).bitPattern, (floors.keys.sorted().reduce(0) { $0 + floors[$1]! } / 40).bitPattern)
    }

    func testChanceFloorTakesTheBestTrivialStrategy() {
        let items = [
            // copy: 2 of 4 answers equal the input
            ChanceFloor.Item(group: "copy", input: "a", answer: "a"), ChanceFloor.Item(group: "copy", input: "b", answer: "b"),
            ChanceFloor.Item(group: "copy", input: "c", answer: "x"), ChanceFloor.Item(group: "copy", input: "d", answer: "y"),
            // majority: 3 of 4 answers are "yes"
            ChanceFloor.Item(group: "yesno", input: "p", answer: "yes"), ChanceFloor.Item(group: "yesno", input: "q", answer: "yes"),
            ChanceFloor.Item(group: "yesno", input: "r", answer: "yes"), ChanceFloor.Item(group: "yesno", input: "s", answer: "no"),
            // guess: one of three listed values, answers all different
            ChanceFloor.Item(group: "lookup", input: "a=1 b=2 c=3", answer: "1", guessChance: 1.0 / 3),
            ChanceFloor.Item(group: "lookup", input: "a=4 b=5 c=6", answer: "5", guessChance: 1.0 / 3),
            ChanceFloor.Item(group: "lookup", input: "a=7 b=8 c=9", answer: "9", guessChance: 1.0 / 3),
        ]
        let g = ChanceFloor.perGroup(items)
        XCTAssertEqual(g["copy"], 0.5)
        XCTAssertEqual(g["yesno"], 0.75)
        XCTAssertEqual(g["lookup"]!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(ChanceFloor.macro(items), (0.5 + 0.75 + 1.0 / 3) / 3, accuracy: 1e-12)
    }
}
