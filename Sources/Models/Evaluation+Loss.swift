import Foundation
import Tensor

/// Mean next-token cross-entropy of `model` over `ids` cut into consecutive windows of block_size + 1
/// (remainder dropped): each window's first block_size tokens predict its last block_size. Sums in
/// double over all predicted positions. Throws on an id outside the vocabulary or too few tokens.
public func evaluateLoss(_ model: GPT, ids: [UInt16], batch: Int = 8) throws -> (loss: Double, tokens: Int) {
    let T = model.config.blockSize, V = model.config.vocabSize
    if let (i, bad) = ids.enumerated().first(where: { Int($0.element) >= V }) {
        throw ModelError.input("token id \(bad) at position \(i) is outside the vocabulary 0..<\(V)", hint: "the token file was made with another tokenizer")
    }
    let windows = ids.count / (T + 1)
    guard windows > 0 else {
        throw ModelError.input("\(ids.count) tokens are fewer than one window of block_size + 1 = \(T + 1)", hint: "use a longer token file")
    }
    var total = 0.0
    try Autograd.withNoGrad {
        var w = 0
        while w < windows {
            let n = min(batch, windows - w)
            var x: [Int32] = [], y: [Int32] = []
            x.reserveCapacity(n * T); y.reserveCapacity(n * T)
            for k in 0..<n {
                let base = (w + k) * (T + 1)
                for t in 0..<T { x.append(Int32(ids[base + t])); y.append(Int32(ids[base + t + 1])) }
            }
            let (_, loss) = try model.forward(x, batch: n, targets: y)
            total += Double(loss!.item) * Double(n * T)
            w += n
        }
    }
    return (total / Double(windows * T), windows * T)
}
