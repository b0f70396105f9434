import Ledger
import Tensor

extension RunEnvironment.Engine {
    /// The engine of this process as Tensor reports it now: the OpenBLAS core (and how it was chosen),
    /// the ISA the C kernels dispatched to, and the worker thread count. What a run started here should
    /// record (`Ledger.RunSpec(..., engine: .current)`).
    public static var current: RunEnvironment.Engine {
        RunEnvironment.Engine(blasCore: BLAS.coreProvenance, kernelISA: BLAS.kernelISA, threads: Parallel.threads)
    }
}
