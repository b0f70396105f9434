import Foundation

/// A real code corpus no one here wrote: the Python standard library installed on the machine, located
/// by asking a real Python interpreter (`sysconfig.get_paths()["stdlib"]`).
public struct PythonSources: Sendable {
    public struct File: Sendable, Equatable {
        public var path: String
        public var bytes: [UInt8]
    }

    public let root: String
    public let files: [File]

    /// Collects `.py` files under the stdlib (skipping tests and site-packages), in sorted path order,
    /// until `maxBytes`. Throws if no Python interpreter or no sources are found.
    public static func load(maxBytes: Int, python: String = "python3") throws -> PythonSources {
        let root = try stdlibPath(python: python)
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { throw CorpusError("cannot list \(root)") }
        var paths: [String] = []
        while let rel = walker.nextObject() as? String {
            if rel.hasPrefix("site-packages") || rel.hasPrefix("test") || rel.contains("/test") || rel.contains("idlelib") { continue }
            if rel.hasSuffix(".py") { paths.append(rel) }
        }
        paths.sort()
        var files: [File] = []
        var total = 0
        for rel in paths where total < maxBytes {
            guard let data = fm.contents(atPath: root + "/" + rel), !data.isEmpty else { continue }
            files.append(File(path: rel, bytes: Array(data)))
            total += data.count
        }
        guard !files.isEmpty else { throw CorpusError("no Python sources under \(root)") }
        return PythonSources(root: root, files: files)
    }

    static func stdlibPath(python: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw CorpusError("cannot start \(python): \(error)") }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let path = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard p.terminationStatus == 0, !path.isEmpty else { throw CorpusError("\(python) did not report its standard library (install python3)") }
        return path
    }

    /// Splits files into train and held-out sets by a hash of the path (stable, whole files held out).
    public func split(heldOutEvery n: Int) -> (train: [File], heldOut: [File]) {
        var train: [File] = [], held: [File] = []
        for f in files {
            var h: UInt64 = 1469598103934665603
            for b in f.path.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
            if h % UInt64(n) == 0 { held.append(f) } else { train.append(f) }
        }
        return (train, held)
    }
}

/// A corpus could not be built.
public struct CorpusError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
