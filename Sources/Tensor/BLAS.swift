import Foundation
import CBLAS
import CKernels

/// The one Swift wrapper over OpenBLAS: kernel selection at start-up, identification, and sgemm.
public enum BLAS {
    /// The name OpenBLAS gives the kernels it loaded ("SkylakeX", "Haswell", ...).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS's build description (version, threading, ...).
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }

    /// The instruction-set clone of the engine's own C kernels.
    public static var kernelISA: String { String(cString: k_isa()) }

    /// Debian's OpenBLAS 0.3.21 picks its AVX2 (Haswell) kernels on AVX-512 CPUs it does not know (AMD
    /// Zen 4/5), at half the speed of its SkylakeX kernels; some environments also pin
    /// `OPENBLAS_CORETYPE=Haswell`. The core can only be chosen before the library loads, so an executable
    /// calls this first thing: when the CPU and OS support AVX-512 and the core is unset or one of the
    /// AVX2 cores, it sets `OPENBLAS_CORETYPE=SkylakeX` and re-executes itself (once). The core it replaced
    /// is kept in `LAB_BLAS_REPLACED_CORETYPE`. `LAB_BLAS_AUTO=0` keeps the environment as it is;
    /// `LAB_BLAS_CORETYPE` names a core outright. After the re-exec, `verifyKernels()` checks the kernels
    /// against a naive product and falls back to OpenBLAS's own choice if they disagree.
    public static func selectFastKernels() {
        let env = ProcessInfo.processInfo.environment
        if env["LAB_BLAS_AUTO"] != nil { return }                      // decided already (or turned off)
        if let wanted = env["LAB_BLAS_CORETYPE"] {
            guard env["OPENBLAS_CORETYPE"] != wanted else { return }
            reexec(core: wanted, replaced: env["OPENBLAS_CORETYPE"])
            return
        }
        let current = env["OPENBLAS_CORETYPE"]?.lowercased()
        let upgradable: Set<String> = ["haswell", "zen", "sandybridge", "prescott", "nehalem"]
        guard current == nil || upgradable.contains(current!), cpuHasAVX512() else { return }
        reexec(core: "SkylakeX", replaced: env["OPENBLAS_CORETYPE"])
    }

    private static func reexec(core: String, replaced: String?) {
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("LAB_BLAS_AUTO", "forced", 1)
        setenv("LAB_BLAS_REPLACED_CORETYPE", replaced ?? "unset", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed: go on with the kernels already loaded.
        if let replaced { setenv("OPENBLAS_CORETYPE", replaced, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
    }

    /// How the BLAS core was chosen, for provenance: e.g. "SkylakeX (selected by lab; environment had Haswell)".
    public static var coreProvenance: String {
        let env = ProcessInfo.processInfo.environment
        if env["LAB_BLAS_AUTO"] == "forced" {
            return "\(coreName) (selected by lab; environment had \(env["LAB_BLAS_REPLACED_CORETYPE"] ?? "unset"))"
        }
        return "\(coreName) (\(env["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0)" } ?? "OpenBLAS's own choice"))"
    }

    /// When `selectFastKernels` forced a core, checks sgemm against a naive product in double; on a
    /// mismatch re-executes with OpenBLAS's own choice. Returns a note for the log, or nil.
    @discardableResult
    public static func verifyKernels() -> String? {
        let env = ProcessInfo.processInfo.environment
        guard env["LAB_BLAS_AUTO"] == "forced" else { return nil }
        if sgemmSelfCheck() { return nil }
        if let r = env["LAB_BLAS_REPLACED_CORETYPE"], r != "unset" { setenv("OPENBLAS_CORETYPE", r, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        setenv("LAB_BLAS_AUTO", "failed-self-check", 1)
        FileHandle.standardError.write(Data("warning: OpenBLAS \(coreName) kernels failed a self-check; using the default kernels\n".utf8))
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        return "self-check failed and re-exec failed"
    }

    static func cpuHasAVX512() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains)
    }

    /// A 67 x 53 x 71 product with transposes against a naive double-precision one.
    public static func sgemmSelfCheck() -> Bool {
        let m = 67, n = 53, k = 71
        var rng = RNG(seed: 7)
        let a = (0..<(m * k)).map { _ in rng.uniform() - 0.5 }
        let b = (0..<(n * k)).map { _ in rng.uniform() - 0.5 }
        var c = [Float](repeating: 0, count: m * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(b[j * k + p]) }
                if abs(s - Double(c[i * n + j])) > 1e-4 { return false }
            }
        }
        return true
    }

    /// Row-major C = alpha * op(A) op(B) + beta * C, with op(X) = X or X^T; [M, K] x [K, N] -> [M, N].
    /// Large products are split over `Parallel.threads` along M (or N when N is larger), each part a
    /// single-threaded sgemm; a part's values do not depend on how many parts there are.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let threads = Parallel.threads
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        if threads == 1 || m * n * k < 1 << 17 {
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        if m >= n {
            let parts = Parallel.ranges(m, parts: threads, align: 16)
            Parallel.forEach(parts.count) { i in
                let r = parts[i]
                let aOff = transA ? r.lowerBound : r.lowerBound * lda
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(r.count), Int32(n), Int32(k), alpha, a + aOff, Int32(lda),
                            b, Int32(ldb), beta, c + r.lowerBound * ldc, Int32(ldc))
            }
        } else {
            let parts = Parallel.ranges(n, parts: threads, align: 16)
            Parallel.forEach(parts.count) { i in
                let r = parts[i]
                let bOff = transB ? r.lowerBound * ldb : r.lowerBound
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(r.count), Int32(k), alpha, a, Int32(lda),
                            b + bOff, Int32(ldb), beta, c + r.lowerBound, Int32(ldc))
            }
        }
    }
}
