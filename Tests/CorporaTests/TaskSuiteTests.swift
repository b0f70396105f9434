import Tensor
import XCTest
@testable import Corpora

final class TaskSuiteTests: XCTestCase {
    let suite = TaskSuite()

    func testSizeClustersAndTemplates() {
        XCTAssertGreaterThanOrEqual(suite.tasks.count, 300)
        XCTAssertGreaterThanOrEqual(suite.clusters.count, 12)
        XCTAssertEqual(Set(suite.tasks.map(\.id)).count, suite.tasks.count, "task ids are distinct")
        for f in TaskSuite.families {
            XCTAssertEqual(f.templates.count, 6, f.name)
            XCTAssertEqual(Set(f.templates).count, 6, "\(f.name): templates are distinct")
            XCTAssertTrue(f.templates.allSatisfy { $0.contains("{w}") }, f.name)
            // Instruction markers never occur in the pretraining phrasing.
            XCTAssertFalse(f.phrasing.contains("###") || f.phrasing.contains(">>"), f.name)
        }
    }

    func testAnswersOfSomeOperations() {
        func task(_ id: String) -> TaskSuite.Task { suite.tasks.first { $0.id == id }! }
        XCTAssertEqual(task("shift(3)").answer(for: "xyz"), "abc")
        XCTAssertEqual(task("prepend(k)").answer(for: "lamp"), "klamp")
        XCTAssertEqual(task("replace(a by x)").answer(for: "banana"), "bxnxnx")
        XCTAssertEqual(task("count(a)").answer(for: "banana"), "3")
        XCTAssertEqual(task("sub(4)").answer(for: "10"), "6")
        XCTAssertEqual(task("nth(2nd)").answer(for: "lamps"), "a")
        XCTAssertEqual(task("lookup(b)").answer(for: "a=1 b=7 c=2"), "7")
        XCTAssertEqual(task("countBy(3)").answer(for: "4"), "4 7 10")
        XCTAssertEqual(task("wrap(( ))").answer(for: "lamp"), "(lamp)")
        XCTAssertEqual(task("reverseAppend(k)").answer(for: "lamp"), "pmalk")
        XCTAssertNil(task("add(3)").answer(for: "lamp"), "a word is not an input of add")
    }

    func testTrainAndEvaluationInputsAreDisjointAndDeterministic() {
        XCTAssertTrue(Set(suite.trainWords).isDisjoint(with: suite.evalWords))
        XCTAssertEqual(TaskSuite().trainWords, suite.trainWords)
        var a = RNG(seed: 5), b = RNG(seed: 5)
        for t in suite.tasks {
            var trainInputs = Set<String>(), evalInputs = Set<String>()
            for _ in 0..<30 {
                trainInputs.insert(suite.input(for: t, eval: false, rng: &a))
                evalInputs.insert(suite.input(for: t, eval: true, rng: &a))
                XCTAssertNotNil(t.answer(for: suite.input(for: t, eval: true, rng: &b)), t.id)
            }
            XCTAssertTrue(trainInputs.isDisjoint(with: evalInputs), "\(t.id): an evaluation input is also a training input")
        }
    }

    func testInstanceFormats() {
        let t = suite.tasks.first { $0.id == "append(s)" }!
        let inst = suite.instance(t, input: "lamp", template: TaskSuite.evalTemplate)
        XCTAssertEqual(inst.prompt, "### What do you get by adding s after lamp?\n>> ")
        XCTAssertEqual(inst.answer, "lamps")
        XCTAssertEqual(suite.phrasing(t, input: "lamp").prompt, "lamp and then s gives: ")
    }
}

final class TaskSuiteSetsTests: XCTestCase {
    let suite = TaskSuite()

    func testLadderIsNestedAndSpansClusters() {
        let held = ["prepend", "format", "lookup"]
        let a = suite.ladder(seed: 1001, excluding: held)
        XCTAssertEqual(a.count, suite.tasks.filter { !held.contains($0.cluster) }.count)
        XCTAssertFalse(a.contains { held.contains($0.cluster) })
        XCTAssertEqual(Set(a.prefix(11).map(\.cluster)).count, 11, "the first 11 tasks come from the 11 held-in clusters")
        XCTAssertNotEqual(a.map(\.id), suite.ladder(seed: 1002, excluding: held).map(\.id))
        XCTAssertEqual(a.map(\.id), suite.ladder(seed: 1001, excluding: held).map(\.id))
    }

    func testProbeItemsOfSomeClustersAreThoseOfAll() {
        let all = suite.probeItems(clusters: suite.clusters, perCluster: 20, seed: 99)
        let some = suite.probeItems(clusters: ["lookup", "format"], perCluster: 20, seed: 99)
        XCTAssertEqual(some, all.filter { $0.cluster == "lookup" } + all.filter { $0.cluster == "format" })
    }

    func testEvaluationItemsUseEvalInputsAndTheHeldOutTemplate() {
        let items = suite.evaluationItems(suite.tasks(in: "reorder"), perCluster: 50, seed: 4242)
        XCTAssertEqual(items.count, 50)
        let train = Set(suite.trainingExamples(suite.tasks(in: "reorder"), perTask: 20, seed: 1).map { $0.taskID + "\u{1}" + $0.input })
        XCTAssertTrue(items.allSatisfy { !train.contains($0.pair) })
        XCTAssertTrue(items.allSatisfy { $0.answer == $0.task.answer(for: $0.input) })
    }

    /// No evaluation input of a task is ever a training input of the same task, including for the tasks that
    /// edit a letter into or out of a word (an edited evaluation word can equal an edited training word).
    func testEvaluationInputsNeverEqualTrainingInputs() {
        var collisionsBeforeTheFix = 0
        for family in ["remove", "count", "contains", "replace", "prepend", "nth", "add", "lookup"] {
            for task in suite.tasks.filter({ $0.family == family }).prefix(6) {
                var rng = RNG(seed: 11)
                let train = Set((0..<3000).map { _ in suite.input(for: task, eval: false, rng: &rng) })
                let eval = (0..<600).map { _ in suite.input(for: task, eval: true, rng: &rng) }
                XCTAssertTrue(eval.allSatisfy { !train.contains($0) }, "\(task.id): \(eval.filter { train.contains($0) }.prefix(3))")
                collisionsBeforeTheFix += (0..<600).map { _ in suite.draw(for: task, eval: true, rng: &rng) }.filter { train.contains($0) }.count
            }
        }
        XCTAssertGreaterThan(collisionsBeforeTheFix, 0, "the unfiltered draw does collide, so this test can fail")
    }

    func testPretrainingTextRecordsItsPairs() {
        let t = suite.pretrainingText(chars: 5_000, seed: 7)
        XCTAssertGreaterThanOrEqual(t.ids.count, 5_000)
        XCTAssertEqual(String(decoding: t.ids.map { UInt8($0) }, as: UTF8.self), t.lines.map { $0 + "\n" }.joined())
        XCTAssertGreaterThan(t.pairs.count, t.lines.count / 2)
        XCTAssertEqual(suite.pretrainingText(chars: 5_000, seed: 7).ids, t.ids)
        XCTAssertNotEqual(suite.pretrainingText(chars: 5_000, seed: 8).ids, t.ids)
    }

    func testGuessChance() {
        let lookup = suite.tasks.first { $0.id == "lookup(b)" }!
        XCTAssertEqual(suite.guessChance(lookup, input: "a=1 b=7 c=2"), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(suite.guessChance(lookup, input: "a=7 b=7 c=2"), 2.0 / 3, accuracy: 1e-12, "a repeated value is guessed more often")
        XCTAssertEqual(suite.guessChance(suite.tasks.first { $0.family == "reverse" }!, input: "lamp"), 0)
    }
}
