import Foundation

/// The accuracy that needs no model: for each group of items, the best of three trivial strategies,
///
/// - answering with the input itself (copy),
/// - answering every item with the group's most common answer (majority; an oracle constant, so the floor
///   errs high),
/// - a blind guess of the answer's kind (the item's `guessChance`, e.g. 1/3 for a lookup among three values),
///
/// macro-averaged over groups like the accuracy it stands beside. An accuracy at or below it shows no skill.
public enum ChanceFloor {
    /// One item: its group, input, exact answer, and the chance a blind guess of its kind is right.
    public struct Item: Sendable {
        public var group: String
        public var input: String
        public var answer: String
        public var guessChance: Double
        public init(group: String, input: String, answer: String, guessChance: Double = 0) {
            self.group = group; self.input = input; self.answer = answer; self.guessChance = guessChance
        }
    }

    /// The floor of each group.
    public static func perGroup(_ items: [Item]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (g, its) in Dictionary(grouping: items, by: \.group) {
            let n = Double(its.count)
            let copy = Double(its.filter { $0.input == $0.answer }.count) / n
            let counts = Dictionary(grouping: its, by: \.answer).mapValues(\.count)
            let majority = Double(counts.values.max() ?? 0) / n
            let guess = its.reduce(0) { $0 + $1.guessChance } / n
            out[g] = max(copy, majority, guess)
        }
        return out
    }

    /// The macro average of the groups' floors (NaN without items), summed in the groups' sorted order (a
    /// dictionary's order changes from process to process, and so would the last bit of the sum).
    public static func macro(_ items: [Item]) -> Double {
        let g = perGroup(items)
        return g.isEmpty ? .nan : g.keys.sorted().reduce(0) { $0 + g[$1]! } / Double(g.count)
    }
}
