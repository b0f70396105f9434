import Foundation
import Tensor

/// The data sets an experiment draws from the suite: pretraining text, a nested ladder of finetuning
/// tasks, evaluation and probe items, each deterministic in its seed.
extension TaskSuite {
    /// Tasks outside `heldOut` clusters, in the order a seed gives: clusters interleaved, so every prefix
    /// spans as many clusters as it can and the first N tasks are a subset of the first N + 1 (nested).
    public func ladder(seed: UInt64, excluding heldOut: [String]) -> [Task] {
        var rng = RNG(seed: seed)
        var byCluster = clusters.filter { !heldOut.contains($0) }.map { c -> [Task] in
            var t = tasks(in: c); rng.shuffle(&t); return t
        }
        rng.shuffle(&byCluster)
        var out: [Task] = []
        while byCluster.contains(where: { !$0.isEmpty }) {
            for i in byCluster.indices where !byCluster[i].isEmpty { out.append(byCluster[i].removeFirst()) }
        }
        return out
    }

    /// Plain-phrasing text for pretraining or replay: its character ids, its lines, and the (task, input)
    /// pair of every line (what a contamination check compares evaluation items with).
    public struct PlainText: Sendable {
        public var ids: [UInt16]
        public var lines: [String]
        /// "task id \u{1} input" of every line, as `Item.pair`.
        public var pairs: Set<String>
    }

    /// Pretraining text: lines of random tasks of every cluster in their plain phrasing ("prompt answer\n"),
    /// on training inputs only, at least `chars` characters. Deterministic in (chars, seed), and kept for
    /// the process's life once made (a grid asks for the same text in many cells).
    public func pretrainingText(chars: Int, seed: UInt64) -> PlainText {
        let key = "\(chars)/\(seed)"
        if let hit = PlainTextCache.shared.get(key) { return hit }
        var rng = RNG(seed: seed)
        var ids: [UInt16] = [], lines: [String] = [], pairs = Set<String>()
        ids.reserveCapacity(chars + 100)
        while ids.count < chars {
            let t = tasks[rng.int(below: tasks.count)]
            let x = input(for: t, eval: false, rng: &rng)
            let (p, a) = phrasing(t, input: x)
            lines.append(p + a)
            pairs.insert(t.id + "\u{1}" + x)
            ids += (p + a + "\n").utf8.map { UInt16($0) }
        }
        let text = PlainText(ids: ids, lines: lines, pairs: pairs)
        PlainTextCache.shared.put(key, text)
        return text
    }

    /// Finetuning examples: `perTask` per task, on training inputs, each with a training template drawn at random.
    public func trainingExamples(_ tasks: [Task], perTask: Int, seed: UInt64) -> [Instance] {
        var rng = RNG(seed: seed)
        var out: [Instance] = []
        for t in tasks {
            for _ in 0..<perTask {
                out.append(instance(t, input: input(for: t, eval: false, rng: &rng), template: rng.int(below: TaskSuite.trainTemplates.count)))
            }
        }
        return out
    }

    /// An evaluation or probe item: a prompt, its exact answer, and where it comes from.
    public struct Item: Sendable, Equatable {
        public var cluster: String
        public var task: Task
        public var input: String
        public var prompt: String
        public var answer: String
        /// "task id \u{1} input": the item's identity, comparable with training examples'.
        public var pair: String { task.id + "\u{1}" + input }
    }

    /// `perCluster` items of each cluster of `tasks`, on evaluation inputs, in the instruction format with
    /// `template` (default: the held-out template), clusters in sorted order.
    public func evaluationItems(_ tasks: [Task], perCluster: Int, seed: UInt64, template: Int = TaskSuite.evalTemplate) -> [Item] {
        var rng = RNG(seed: seed)
        var out: [Item] = []
        for c in Array(Set(tasks.map(\.cluster))).sorted() {
            let ts = tasks.filter { $0.cluster == c }
            for _ in 0..<perCluster {
                let t = ts[rng.int(below: ts.count)]
                let inst = instance(t, input: input(for: t, eval: true, rng: &rng), template: template)
                out.append(Item(cluster: c, task: t, input: inst.input, prompt: inst.prompt, answer: inst.answer))
            }
        }
        return out
    }

    /// Probe items: `perCluster` per cluster (in the given order), on evaluation inputs, in the plain
    /// pretraining phrasing (what a base model can be asked without instruction finetuning). Each cluster's
    /// items depend on the seed and the cluster only, so a probe of some clusters asks the same items as a
    /// probe of all.
    public func probeItems(clusters: [String], perCluster: Int, seed: UInt64) -> [Item] {
        var out: [Item] = []
        for c in clusters {
            var rng = RNG(seed: seed ^ c.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
            let ts = tasks(in: c)
            for _ in 0..<perCluster {
                let t = ts[rng.int(below: ts.count)]
                let x = input(for: t, eval: true, rng: &rng)
                let (p, a) = phrasing(t, input: x)
                out.append(Item(cluster: c, task: t, input: x, prompt: p, answer: a))
            }
        }
        return out
    }

    /// The chance that a blind guess of the answer's kind is right: for a lookup, a listed value picked at
    /// random (the share of the k listed values equal to the answer: values repeat); 1/2 for yes/no; 0 where
    /// the answer space is open.
    public func guessChance(_ task: Task, input: String) -> Double {
        switch task.op {
        case .lookup:
            let values = input.split(separator: " ").map { $0.split(separator: "=").last.map(String.init) ?? "" }
            let answer = task.op.apply(input, task.param)
            return values.isEmpty ? 0 : Double(values.filter { $0 == answer }.count) / Double(values.count)
        case .contains: return 0.5
        default: return 0
        }
    }
}

/// The process's plain texts by (chars, seed), behind a lock.
final class PlainTextCache: @unchecked Sendable {
    static let shared = PlainTextCache()
    private var texts: [String: TaskSuite.PlainText] = [:]
    private let lock = NSLock()
    func get(_ key: String) -> TaskSuite.PlainText? { lock.lock(); defer { lock.unlock() }; return texts[key] }
    func put(_ key: String, _ text: TaskSuite.PlainText) { lock.lock(); defer { lock.unlock() }; texts[key] = text }
}
