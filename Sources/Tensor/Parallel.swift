import Foundation
import CBLAS

/// Work splitting for the engine's own kernels. OpenBLAS runs single-threaded inside each call and the
/// engine splits work itself, by a partition fixed from the work's shape and `threads`: the same
/// thread count gives the same bits, run after run.
public enum Parallel {
    nonisolated(unsafe) private static var _threads: Int = {
        openblas_set_num_threads(1)
        if let s = ProcessInfo.processInfo.environment["LAB_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Number of worker threads (default: `LAB_THREADS` or the number of online CPUs).
    public static var threads: Int {
        get { _threads }
        set { _threads = max(1, newValue); openblas_set_num_threads(1) }
    }

    /// Runs `body(i)` for every i in 0..<n, chunks spread over `threads` workers (static assignment).
    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        let workers = min(threads, n)
        if workers <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var i = w
                while i < n { body(i); i += workers }
            }
        }
    }

    /// Splits 0..<total into `parts` contiguous ranges whose boundaries are multiples of `align`.
    public static func ranges(_ total: Int, parts: Int, align: Int = 1) -> [Range<Int>] {
        let p = max(1, min(parts, (total + align - 1) / max(align, 1)))
        var out: [Range<Int>] = []
        var start = 0
        for i in 0..<p {
            var end = (total * (i + 1)) / p
            if i < p - 1 { end = min(total, ((end + align - 1) / align) * align) } else { end = total }
            if end > start { out.append(start..<end) }
            start = end
        }
        return out
    }
}
