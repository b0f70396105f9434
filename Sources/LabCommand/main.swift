import ArgumentParser
import Foundation
import Tensor

// Get OpenBLAS's fastest correct kernels before anything touches BLAS (re-executes once if needed).
BLAS.selectFastKernels()
BLAS.verifyKernels()

/// `lab`: the command line of the laboratory.
struct LabCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Train, evaluate and audit small transformers for data-centric experiments.",
        subcommands: [
            DemoCommand.self, RunsCommand.self, ShowCommand.self, CompareCommand.self, ExportCommand.self, ImportCommand.self,
            InitCommand.self, LossCommand.self, BenchCommand.self, TokenizerCommand.self, TablesCommand.self, AuditCommand.self,
            ReproduceCommand.self,
        ]
    )
}

LabCLI.main()
