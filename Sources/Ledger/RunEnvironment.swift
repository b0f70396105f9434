import Foundation

/// The machine and toolchain a run executed on.
public struct RunEnvironment: Codable, Equatable, Sendable {
    public var host: String
    public var os: String
    public var cpu: String
    public var cpuCount: Int
    public var swiftVersion: String
    /// OpenBLAS core and how it was chosen (e.g. "SkylakeX (selected by lab; environment had Haswell)").
    public var blasCore: String
    public var kernelISA: String
    public var threads: Int
    /// SHA-256 of Package.resolved at the repository root (the dependency versions), nil if absent.
    public var packageResolvedSHA256: String?

    /// The numeric engine a run computed with. The ledger does not know the engine; whoever starts a
    /// run says what ran (`Engine.current` in the `Lab` module reads it from Tensor).
    public struct Engine: Codable, Equatable, Sendable {
        /// OpenBLAS core and how it was chosen (e.g. "SkylakeX (selected by lab; environment had Haswell)").
        public var blasCore: String
        /// The instruction set the hand-written kernels dispatched to (e.g. "avx512").
        public var kernelISA: String
        /// Worker threads of the engine.
        public var threads: Int

        public init(blasCore: String, kernelISA: String, threads: Int) {
            self.blasCore = blasCore; self.kernelISA = kernelISA; self.threads = threads
        }
    }

    /// The engine part of this environment.
    public var engine: Engine { Engine(blasCore: blasCore, kernelISA: kernelISA, threads: threads) }

    /// The machine and toolchain now, with `engine` as the caller reports it. `repositoryRoot` locates
    /// Package.resolved.
    public static func capture(repositoryRoot: String?, engine: Engine) -> RunEnvironment {
        var uts = utsname()
        uname(&uts)
        func field<T>(_ v: T) -> String {
            withUnsafeBytes(of: v) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        var os = "\(field(uts.sysname)) \(field(uts.release)) \(field(uts.machine))"
        if let rel = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
           let line = rel.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
            os = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) + " (\(os))"
        }
        var cpu = "unknown"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var resolved: String?
        if let root = repositoryRoot { resolved = SHA256.file(root + "/Package.resolved")?.hash }
        return RunEnvironment(host: ProcessInfo.processInfo.hostName, os: os, cpu: cpu,
                              cpuCount: ProcessInfo.processInfo.activeProcessorCount, swiftVersion: compilerVersion,
                              blasCore: engine.blasCore, kernelISA: engine.kernelISA, threads: engine.threads,
                              packageResolvedSHA256: resolved)
    }

    /// The Swift compiler that built this binary (to the minor version; the toolchain reports no more).
    static var compilerVersion: String {
        #if compiler(>=6.5)
        return "Swift >= 6.5"
        #elseif compiler(>=6.4)
        return "Swift 6.4"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.1)
        return "Swift 6.1"
        #elseif compiler(>=6.0)
        return "Swift 6.0"
        #else
        return "Swift < 6.0"
        #endif
    }
}
