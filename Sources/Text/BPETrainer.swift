import Foundation

/// Learns BPE merges from a corpus with incremental pair counts (as Hugging Face tokenizers' trainer):
/// pair counts are computed once, then each merge updates only the words that contain the merged pair,
/// and a max-heap with lazy deletion finds the next most frequent pair. Cost grows with the number of
/// affected words per merge, not with the corpus size times the number of merges.
public enum BPETrainer {
    /// Trains a tokenizer of `vocabSize` ids (256 bytes + merges + specials). Ties between equally
    /// frequent pairs go to the smaller (a, b), so training is deterministic. `progress` gets (merges done, total).
    public static func train(corpus: [UInt8], vocabSize: Int, specialTokens: [String] = ["<|endoftext|>"],
                             minFrequency: Int = 2, progress: ((Int, Int) -> Void)? = nil) throws -> BPETokenizer {
        let target = vocabSize - 256 - specialTokens.count
        guard target >= 0 else {
            throw TextError.tokenizer("vocab size \(vocabSize) is below 256 bytes + \(specialTokens.count) special tokens", hint: "use at least \(256 + specialTokens.count)")
        }
        // 1. Unique chunks and their frequencies.
        var freq: [ArraySlice<UInt8>: Int] = [:]
        corpus.withUnsafeBufferPointer { buf in PreTokenizer.split(buf) { freq[corpus[$0], default: 0] += 1 } }
        var words: [[Int32]] = []
        var counts: [Int] = []
        words.reserveCapacity(freq.count); counts.reserveCapacity(freq.count)
        for (chunk, c) in freq.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) where chunk.count > 1 {
            words.append(chunk.map { Int32($0) })
            counts.append(c)
        }
        // 2. Pair counts and, for each pair, the words it occurs in.
        var pairCount: [UInt64: Int] = [:]
        var pairWords: [UInt64: [Int32]] = [:]
        for (w, ids) in words.enumerated() {
            for i in 0..<(ids.count - 1) {
                let k = BPETokenizer.key(ids[i], ids[i + 1])
                pairCount[k, default: 0] += counts[w]
                pairWords[k, default: []].append(Int32(w))
            }
        }
        var heap = PairHeap()
        for (k, c) in pairCount { heap.push(c, k) }
        // 3. Merge the most frequent pair until the vocabulary is full.
        var merges: [(Int32, Int32)] = []
        var lastSeen = [Int32](repeating: -1, count: words.count)
        while merges.count < target, let (c, k) = heap.pop() {
            guard pairCount[k] == c else { continue }          // stale entry
            if c < minFrequency { break }
            let a = Int32(truncatingIfNeeded: k >> 32), b = Int32(truncatingIfNeeded: k & 0xFFFF_FFFF)
            let newId = Int32(256 + merges.count)
            merges.append((a, b))
            var changed: [UInt64: Int] = [:]
            let mergeIndex = Int32(merges.count)
            for w32 in pairWords[k] ?? [] {
                let w = Int(w32)
                if lastSeen[w] == mergeIndex { continue }
                lastSeen[w] = mergeIndex
                let old = words[w]
                var hasPair = false
                for i in 0..<(old.count - 1) where old[i] == a && old[i + 1] == b { hasPair = true; break }
                if !hasPair { continue }
                let f = counts[w]
                for i in 0..<(old.count - 1) { changed[BPETokenizer.key(old[i], old[i + 1]), default: 0] -= f }
                var new: [Int32] = []
                new.reserveCapacity(old.count)
                var i = 0
                while i < old.count {
                    if i < old.count - 1 && old[i] == a && old[i + 1] == b { new.append(newId); i += 2 } else { new.append(old[i]); i += 1 }
                }
                for i in 0..<max(new.count - 1, 0) {
                    let nk = BPETokenizer.key(new[i], new[i + 1])
                    changed[nk, default: 0] += f
                    if new[i] == newId || new[i + 1] == newId { pairWords[nk, default: []].append(w32) }
                }
                words[w] = new
            }
            pairWords[k] = nil
            for (pk, delta) in changed where delta != 0 {
                let v = (pairCount[pk] ?? 0) + delta
                if v > 0 { pairCount[pk] = v; heap.push(v, pk) } else { pairCount[pk] = nil }
            }
            pairCount[k] = nil
            if let progress, merges.count % 256 == 0 { progress(merges.count, target) }
        }
        progress?(merges.count, target)
        return try BPETokenizer(merges: merges, specialTokens: specialTokens)
    }
}

/// Max-heap of (count, pair); ties broken toward the smaller pair key.
struct PairHeap {
    var items: [(Int, UInt64)] = []

    @inline(__always) static func above(_ x: (Int, UInt64), _ y: (Int, UInt64)) -> Bool { x.0 > y.0 || (x.0 == y.0 && x.1 < y.1) }

    mutating func push(_ c: Int, _ k: UInt64) {
        items.append((c, k))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if PairHeap.above(items[i], items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> (Int, UInt64)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && PairHeap.above(items[l], items[m]) { m = l }
                if r < items.count && PairHeap.above(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}
