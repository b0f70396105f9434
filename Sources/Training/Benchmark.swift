import Foundation
import Tensor
import Models

/// Throughput of one model configuration, measured as ../shared/bench/torch_gpt.py measures PyTorch:
/// a training step is zero-grad + forward + loss + backward + clip(1.0) + AdamW(lr 3e-4, betas 0.9/0.95,
/// wd 0.1 on 2-D tensors); inference is forward + loss for all positions without gradients. Uniformly
/// random tokens from a pre-generated pool of 8 batches. Medians of `reps` repetitions of `steps` steps.
public struct BenchmarkResult: Codable, Sendable {
    public var config: String
    public var params: Int
    public var batch: Int
    public var context: Int
    public var threads: Int
    public var trainTokensPerS: Double
    public var trainTokensPerSReps: [Double]
    public var inferTokensPerS: Double
    /// Achieved training GFLOP/s by the PaLM estimate 6N + 12 L C T (as the PyTorch reference).
    public var gflops: Double
    public var inferGflops: Double
    public var msPerStep: Double
    /// Peak resident memory of the process (VmHWM), bytes.
    public var peakRSSBytes: Int
    /// What cblas_sgemm (split over the same threads) reaches on a [4096 x 384] x [384 x 1536] product.
    public var sgemmGflops: Double
    public var blasCore: String
    public var kernelISA: String
    public var firstLoss: Float
    public var lastLoss: Float

    enum CodingKeys: String, CodingKey {
        case config, params, batch, context, threads
        case trainTokensPerS = "train_tokens_per_s", trainTokensPerSReps = "train_tokens_per_s_reps"
        case inferTokensPerS = "infer_tokens_per_s", gflops, inferGflops = "infer_gflops", msPerStep = "ms_per_step"
        case peakRSSBytes = "peak_rss_bytes", sgemmGflops = "sgemm_gflops", blasCore = "blas_core"
        case kernelISA = "kernel_isa", firstLoss = "first_loss", lastLoss = "last_loss"
    }
}

public enum Benchmark {
    /// The four configurations of the PyTorch reference benchmark, with their batch sizes.
    public static let configurations: [(name: String, config: GPTConfig, batch: Int)] = [
        ("A", .benchA, 32), ("B", .benchB, 32), ("C", .benchC, 16), ("D", .benchD, 16),
    ]

    /// Runs one configuration; `progress` receives a line per phase.
    public static func run(name: String, config: GPTConfig, batch: Int, steps: Int = 30, warmup: Int = 5, reps: Int = 3,
                           progress: (String) -> Void = { _ in }) throws -> BenchmarkResult {
        let model = try GPT(config: config, seed: 1337)
        let T = config.blockSize
        var rng = RNG(seed: 1337)
        let pool = (0..<8).map { _ in (0..<(batch * T)).map { _ in Int32(rng.int(below: config.vocabSize)) } }
        let targets = (0..<8).map { _ in (0..<(batch * T)).map { _ in Int32(rng.int(below: config.vocabSize)) } }
        let opt = AdamW(model.parameters, config: .init(weightDecay: 0.1))
        let params = model.parameters
        var i = 0
        func trainStep() throws -> Float {
            for p in params { p.zeroGrad() }
            let (_, loss) = try model.forward(pool[i % 8], batch: batch, targets: targets[i % 8])
            i += 1
            loss!.backward()
            let (_, scale) = clipCoefficient(params, maxNorm: 1)
            opt.step(lr: 3e-4, gradScale: scale)
            return loss!.item
        }
        func inferStep() throws -> Float {
            try Autograd.withNoGrad {
                let (_, loss) = try model.forward(pool[i % 8], batch: batch, targets: targets[i % 8])
                i += 1
                return loss!.item
            }
        }
        func timed(_ f: () throws -> Float) rethrows -> [Double] {
            var rates: [Double] = []
            for _ in 0..<reps {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<steps { _ = try f() }
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                rates.append(Double(batch * T * steps) / dt)
            }
            return rates
        }
        progress("\(name): \(model.parameterCount()) params, warming up")
        let firstLoss = try trainStep()
        for _ in 1..<max(warmup, 1) { _ = try trainStep() }
        progress("\(name): timing \(reps) x \(steps) training steps (\(BufferPool.shared.systemAllocations) buffers allocated)")
        let trainRates = try timed(trainStep)
        let lastLoss = try trainStep()
        for _ in 0..<warmup { _ = try inferStep() }
        progress("\(name): timing \(reps) x \(steps) forward passes (\(BufferPool.shared.systemAllocations) buffers allocated)")
        let inferRates = try timed(inferStep)
        let train = median(trainRates), infer = median(inferRates)
        return BenchmarkResult(
            config: name, params: model.parameterCount(), batch: batch, context: T, threads: Parallel.threads,
            trainTokensPerS: train, trainTokensPerSReps: trainRates, inferTokensPerS: infer,
            gflops: train * model.trainFlopsPerToken(contextLength: T) / 1e9,
            inferGflops: infer * model.inferenceFlopsPerToken(contextLength: T) / 1e9,
            msPerStep: Double(batch * T) / train * 1000, peakRSSBytes: peakRSS(), sgemmGflops: sgemmProbe(),
            blasCore: BLAS.coreProvenance, kernelISA: BLAS.kernelISA, firstLoss: firstLoss, lastLoss: lastLoss)
    }

    /// GFLOP/s of the engine's gemm on a [4096, 384] x [384, 1536] product (config D's c_fc shape).
    public static func sgemmProbe(m: Int = 4096, k: Int = 384, n: Int = 1536) -> Double {
        let a = Storage(zeros: m * k), b = Storage(zeros: k * n), c = Storage(zeros: m * n)
        for i in 0..<(m * k) { a.pointer[i] = Float(i % 7) * 0.1 }
        for i in 0..<(k * n) { b.pointer[i] = Float(i % 5) * 0.1 }
        func once() { BLAS.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: k, b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n) }
        for _ in 0..<3 { once() }
        var reps = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        while DispatchTime.now().uptimeNanoseconds - t0 < 500_000_000 { once(); reps += 1 }
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return 2 * Double(m * n * k) * Double(reps) / dt / 1e9
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}

/// Peak resident set size of this process in bytes (VmHWM from /proc/self/status; ru_maxrss elsewhere).
public func peakRSS() -> Int {
    if let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
        return kb * 1024
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}
