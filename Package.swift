// swift-tools-version: 6.0
// The package of the data-centric laboratory. Layers and their order are in ../shared/DESIGN.md:
// Tensor -> Models -> Training -> Text -> (Corpora, Evaluation, Ledger, Reports, Lab), each a target with
// its own test target; system libraries are thin module-map targets.
import PackageDescription

/// Numeric targets compile optimized in every configuration: `swift run exp-...` builds debug, and a
/// debug build of the engine would be ~50x slower. `-Ounchecked` only on the innermost layer, whose
/// kernels validate their inputs once at the op boundary.
let fastNumerics: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"])]
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "DataLab",
    platforms: [.macOS(.v14)],
    products: [
        // The command line: target `LabCommand` (Sources/LabCommand), executable `lab`.
        .executable(name: "lab", targets: ["LabCommand"]),
        .executable(name: "exp-task-scaling", targets: ["exp-task-scaling"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Text", targets: ["Text"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin system-library wrappers (one per C library).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CGit2", path: "Sources/CGit2"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // Hand-written C kernels (vectorised exp/erf, LayerNorm, attention, AdamW, ...), built -O3 with
        // per-CPU clones (AVX-512 / AVX2 / baseline) picked at load time.
        .target(
            name: "CKernels",
            dependencies: ["CBLAS"],
            path: "Sources/CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=fast", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"])]
        ),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: fastNumerics),
        .target(name: "Models", dependencies: ["Tensor"], swiftSettings: optimized),
        .target(name: "Training", dependencies: ["Tensor", "Models"], swiftSettings: optimized),
        .target(name: "Text", dependencies: [], swiftSettings: optimized),
        .target(name: "Corpora", dependencies: ["Text", "Tensor"], swiftSettings: optimized),
        .target(name: "Evaluation", dependencies: ["Tensor", "Models", "Text"], swiftSettings: optimized),
        .target(name: "Ledger", dependencies: ["CGit2", "CSQLite"], swiftSettings: optimized),
        .target(name: "Reports", dependencies: ["Ledger", "Evaluation"], swiftSettings: optimized),
        .target(
            name: "Lab",
            dependencies: ["Tensor", "Models", "Training", "Text", "Evaluation", "Ledger", "Reports",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimized
        ),
        // Experiments: literate notebooks, one executable each (`swift run exp-<name>`).
        .executableTarget(
            name: "exp-task-scaling",
            dependencies: ["Tensor", "Models", "Training", "Corpora", "Evaluation", "Ledger", "Lab",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "experiments/task-scaling",
            exclude: ["report.json"],
            swiftSettings: optimized
        ),
        // The `lab` command (product `lab`; the target is named apart from the `Lab` library).
        .executableTarget(
            name: "LabCommand",
            dependencies: [
                "Tensor", "Models", "Training", "Text", "Corpora", "Ledger", "Reports", "Lab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimized
        ),
        // Assertions shared by the test targets (largest-difference messages).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TextTests", dependencies: ["Text"]),
        .testTarget(name: "CorporaTests", dependencies: ["Corpora"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Models", "Text", "Tensor", "TestSupport"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Ledger"]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "Ledger"]),
    ],
    swiftLanguageModes: [.v5]
)
