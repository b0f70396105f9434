import Foundation

/// Exact-match accuracy over items that belong to groups (clusters, task families), averaged two ways:
/// micro (every item counts once) and macro (every group counts once, however many items it has).
public struct GroupedAccuracy: Equatable, Sendable {
    /// (correct, total) per group.
    public private(set) var counts: [String: (correct: Int, total: Int)] = [:]

    public init() {}

    public static func == (a: GroupedAccuracy, b: GroupedAccuracy) -> Bool {
        a.counts.keys.sorted() == b.counts.keys.sorted() && a.counts.allSatisfy { k, v in b.counts[k]! == v }
    }

    /// Records one item of `group`.
    public mutating func add(_ group: String, correct: Bool) {
        var c = counts[group, default: (0, 0)]
        c.total += 1
        if correct { c.correct += 1 }
        counts[group] = c
    }

    /// Records predictions against references (exact string equality) for one group.
    public mutating func add(_ group: String, predictions: [String], references: [String]) {
        precondition(predictions.count == references.count, "predictions and references differ in number")
        for (p, r) in zip(predictions, references) { add(group, correct: p == r) }
    }

    /// Accuracy of one group (nil when it has no items).
    public func accuracy(_ group: String) -> Double? {
        guard let c = counts[group], c.total > 0 else { return nil }
        return Double(c.correct) / Double(c.total)
    }

    /// Every group's accuracy.
    public var perGroup: [String: Double] { counts.compactMapValues { $0.total > 0 ? Double($0.correct) / Double($0.total) : nil } }

    /// The mean of the groups' accuracies (NaN without groups), summed in the groups' sorted order: a
    /// dictionary's order changes from process to process, and so would the last bit of the sum.
    public var macro: Double {
        let g = perGroup
        return g.isEmpty ? .nan : g.keys.sorted().reduce(0) { $0 + g[$1]! } / Double(g.count)
    }

    /// Correct items over all items (NaN without items).
    public var micro: Double {
        let c = counts.values.reduce(0) { $0 + $1.correct }, t = counts.values.reduce(0) { $0 + $1.total }
        return t == 0 ? .nan : Double(c) / Double(t)
    }

    public var items: Int { counts.values.reduce(0) { $0 + $1.total } }
}
