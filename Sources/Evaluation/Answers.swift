import Foundation
import Models
import Tensor
import Text

/// Model answers to prompts, read two ways: free generation (greedy, as a user would see it) and teacher
/// forcing (the reference answer fed in, scored position by position in one forward pass).
public enum Answers {
    /// Greedy answers for many prompts, batched (`batch` prompts share one KV-cached decode), each up to
    /// its first `stop` token (left out) or `maxNew` tokens.
    public static func greedy(_ model: GPT, prompts: [String], tokenizer: some Tokenizer, stop: Int32,
                              maxNew: Int, batch: Int = 256) throws -> [String] {
        var out: [String] = []
        out.reserveCapacity(prompts.count)
        for start in stride(from: 0, to: prompts.count, by: max(batch, 1)) {
            let part = prompts[start..<min(start + max(batch, 1), prompts.count)].map { tokenizer.encode($0) }
            let gens = try model.generate(prompts: part, GenerationConfig(maxNewTokens: maxNew, stopTokens: [stop]))
            out += try gens.map { try tokenizer.decode($0.tokens.filter { $0 != stop }) }
        }
        return out
    }

    /// One reference answer scored under teacher forcing.
    public struct Score: Equatable, Sendable {
        /// Every answer token is the model's argmax given the prompt and the answer so far.
        public var exact: Bool
        /// Sum over answer tokens of log p(token | prefix), natural log.
        public var logProb: Double
        /// Answer tokens scored.
        public var tokens: Int
    }

    /// Scores each (prompt, answer) pair from one forward pass per batch: the answer's log-probability and
    /// whether greedy decoding would reproduce it exactly (argmax at every answer position; ties go to the
    /// lower id, as in generation). A prompt too long for the context keeps its last tokens.
    public static func teacherForced(_ model: GPT, _ items: [(prompt: [Int32], answer: [Int32])], batch: Int = 128) throws -> [Score] {
        let T = model.config.blockSize, V = model.config.vocabSize
        var out: [Score] = []
        out.reserveCapacity(items.count)
        for start in stride(from: 0, to: items.count, by: max(batch, 1)) {
            let part = Array(items[start..<min(start + max(batch, 1), items.count)])
            // Each sequence is prompt + answer minus its last token (which is only predicted); cropped on the left.
            var seqs: [[Int32]] = [], firstAnswerPos: [Int] = []
            for it in part {
                guard !it.answer.isEmpty, !it.prompt.isEmpty else {
                    throw EvaluationError.input("an item has an empty prompt or answer", hint: "score at least one answer token after a prompt")
                }
                guard it.answer.count <= T else {
                    throw EvaluationError.input("an answer of \(it.answer.count) tokens exceeds the context \(T)", hint: "score shorter answers")
                }
                var s = Array((it.prompt + it.answer).dropLast())
                let crop = max(0, s.count - T)
                s.removeFirst(crop)
                seqs.append(s)
                firstAnswerPos.append(it.prompt.count - 1 - crop)
            }
            let L = seqs.map(\.count).max()!
            let ids = seqs.flatMap { $0 + [Int32](repeating: 0, count: L - $0.count) }   // causal: padding after is never read
            let logits = try Autograd.withNoGrad { try model.forward(ids, batch: seqs.count, targets: nil).logits }
            let p = logits.storage.pointer
            for (b, it) in part.enumerated() {
                var lp = 0.0, exact = true
                for (k, target) in it.answer.enumerated() {
                    let row = p + (b * L + firstAnswerPos[b] + k) * V
                    var mx = row[0], arg = 0
                    for v in 1..<V where row[v] > mx { mx = row[v]; arg = v }
                    var z = 0.0
                    for v in 0..<V { z += exp(Double(row[v] - mx)) }
                    lp += Double(row[Int(target)] - mx) - log(z)
                    if arg != Int(target) { exact = false }
                }
                out.append(Score(exact: exact, logProb: lp, tokens: it.answer.count))
            }
        }
        return out
    }
}

/// Errors of the evaluation layer: what went wrong and what to do.
public enum EvaluationError: Error, CustomStringConvertible {
    case input(String, hint: String)
    case contamination(String, hint: String)

    public var description: String {
        switch self {
        case .input(let m, let hint): return "\(m) (\(hint))"
        case .contamination(let m, let hint): return "contamination: \(m) (\(hint))"
        }
    }
}

extension Answers {
    /// Greedy answers to `prompts`, scored by exact match against `references` within `groups` (one group
    /// per item), with the answers themselves for further analysis.
    public static func exactMatch(_ model: GPT, prompts: [String], references: [String], groups: [String], tokenizer: some Tokenizer,
                                  stop: Int32, maxNew: Int) throws -> (accuracy: GroupedAccuracy, answers: [String]) {
        precondition(prompts.count == references.count && prompts.count == groups.count, "one reference and one group per prompt")
        let got = try greedy(model, prompts: prompts, tokenizer: tokenizer, stop: stop, maxNew: maxNew)
        var acc = GroupedAccuracy()
        for i in prompts.indices { acc.add(groups[i], correct: got[i] == references[i]) }
        return (acc, got)
    }
}
