import Foundation

/// Checks that no evaluation item occurs in any text a model was trained on, by three tests that can each
/// fail:
///
/// 1. **Pairs**: the item's identity (e.g. task and input) among the identities of training examples.
/// 2. **Answers**: an answer long enough to identify its item (`minIdentifyingAnswer` letters and digits or
///    more, not counting punctuation, and not already present in the item's own prompt) occurring as a whole
///    word sequence in training text. Shorter answers collide by chance (a six-letter word is also some
///    other word with a letter added), so they are left to the other two tests.
/// 3. **N-grams**: any run of `ngram` words of the item's text (prompt and answer) occurring in training
///    text (items shorter than `ngram` words: the whole item). The default, 13, is GPT-3's; a shorter
///    n flags items that merely share a phrase and a few values with a training line.
///
/// Text tests find a leak only in the same words; a leak in other words (the same task and input in
/// another template or phrasing) is found by the pair test alone, so synthetic sources should give
/// their pairs.
///
/// Words are lower-cased runs of letters and digits, so formatting differences (templates' punctuation,
/// line breaks) do not hide an overlap. Training text is given per source (pretraining, replay,
/// finetuning), so a report can say where a leak came from.
public struct ContaminationCheck: Sendable {
    /// One evaluation item.
    public struct Item: Sendable {
        /// An identity comparable with training examples' (e.g. "reverse(3)\u{1}lamp"); nil if none.
        public var pair: String?
        public var prompt: String
        public var answer: String
        public init(pair: String?, prompt: String, answer: String) { self.pair = pair; self.prompt = prompt; self.answer = answer }
    }

    /// One kind of training text.
    public struct Source: Sendable {
        public var name: String
        /// The identities of its examples (empty for plain text).
        public var pairs: Set<String>
        /// Its text, in pieces (documents, examples); n-grams do not cross pieces.
        public var texts: [String]
        public init(name: String, pairs: Set<String> = [], texts: [String]) { self.name = name; self.pairs = pairs; self.texts = texts }
    }

    /// What the check found in one source.
    public struct Finding: Equatable, Sendable, Codable {
        public var source: String
        public var pairHits: Int
        public var answerHits: Int
        public var ngramHits: Int
        /// Items flagged by any test.
        public var items: Int
        /// Up to five flagged items' prompts, for the error message.
        public var examples: [String]
    }

    public var ngram: Int
    public var minIdentifyingAnswer: Int

    public init(ngram: Int = 13, minIdentifyingAnswer: Int = 10) {
        self.ngram = max(ngram, 1); self.minIdentifyingAnswer = minIdentifyingAnswer
    }

    /// Lower-cased runs of ASCII letters and digits.
    public static func words(_ s: String) -> [Substring] {
        s.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    static func hash(_ ws: ArraySlice<Substring>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a over the words, a separator between them
        for w in ws {
            for b in w.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0x1f) &* 0x100_0000_01b3
        }
        return h
    }

    /// Hashes of every run of `n` words in `texts` (a text shorter than n contributes nothing).
    static func grams(_ texts: [String], n: Int) -> Set<UInt64> {
        var out = Set<UInt64>()
        for t in texts {
            let w = words(t)
            guard w.count >= n else { continue }
            for i in 0...(w.count - n) { out.insert(hash(w[i..<(i + n)])) }
        }
        return out
    }

    /// Runs the three tests of every item against every source.
    public func run(items: [Item], sources: [Source]) -> [Finding] {
        // The item word sequences, and the run lengths needed (ngram, or shorter for short items and answers).
        let itemWords = items.map { ContaminationCheck.words($0.prompt + " " + $0.answer) }
        let answerWords = items.map { ContaminationCheck.words($0.answer) }
        let identifying = items.indices.map { i -> Bool in
            let a = items[i].answer
            return answerWords[i].reduce(0) { $0 + $1.count } >= minIdentifyingAnswer && !items[i].prompt.lowercased().contains(a.lowercased())
        }
        var lengths = Set(itemWords.map { min($0.count, ngram) }.filter { $0 > 0 })
        for i in items.indices where identifying[i] { lengths.insert(answerWords[i].count) }
        return sources.map { src in
            var tables: [Int: Set<UInt64>] = [:]
            for n in lengths { tables[n] = ContaminationCheck.grams(src.texts, n: n) }
            var f = Finding(source: src.name, pairHits: 0, answerHits: 0, ngramHits: 0, items: 0, examples: [])
            for (i, item) in items.enumerated() {
                var hit = false
                if let p = item.pair, src.pairs.contains(p) { f.pairHits += 1; hit = true }
                if identifying[i], let t = tables[answerWords[i].count], t.contains(ContaminationCheck.hash(answerWords[i][...])) {
                    f.answerHits += 1; hit = true
                }
                let w = itemWords[i], n = min(w.count, ngram)
                if n > 0, let t = tables[n], (0...(w.count - n)).contains(where: { t.contains(ContaminationCheck.hash(w[$0..<($0 + n)])) }) {
                    f.ngramHits += 1; hit = true
                }
                if hit {
                    f.items += 1
                    if f.examples.count < 5 { f.examples.append(item.prompt) }
                }
            }
            return f
        }
    }

    /// Runs the check and throws, naming the sources and examples, when any item is found in training text.
    @discardableResult
    public func require(items: [Item], sources: [Source]) throws -> [Finding] {
        let findings = run(items: items, sources: sources)
        let bad = findings.filter { $0.items > 0 }
        if !bad.isEmpty {
            let what = bad.map { "\($0.items) items in \($0.source) (pairs \($0.pairHits), answers \($0.answerHits), \(ngram)-grams \($0.ngramHits); e.g. \($0.examples.first.map { String(reflecting: $0) } ?? "?"))" }
            throw EvaluationError.contamination(what.joined(separator: "; "), hint: "evaluation items occur in training text: the split is broken")
        }
        return findings
    }
}
