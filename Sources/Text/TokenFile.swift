import Foundation

/// nanoGPT's token file format: a flat array of little-endian uint16 token ids (`train.bin`, `val.bin`).
public enum TokenFile {
    /// Reads every id of a token file.
    public static func read(_ url: URL) throws -> [UInt16] {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw TextError.file("cannot read \(url.path): \(error.localizedDescription)", hint: "check the path")
        }
        guard data.count % 2 == 0 else {
            throw TextError.file("\(url.lastPathComponent) has \(data.count) bytes, not a whole number of uint16 ids", hint: "the file is truncated or not a token file")
        }
        var ids = [UInt16](repeating: 0, count: data.count / 2)
        ids.withUnsafeMutableBytes { dst in data.copyBytes(to: dst) }
        return ids.map { UInt16(littleEndian: $0) }
    }

    /// Writes ids as little-endian uint16, atomically.
    public static func write(_ ids: [UInt16], to url: URL) throws {
        let le = ids.map { $0.littleEndian }
        try le.withUnsafeBytes { Data($0) }.write(to: url, options: .atomic)
    }
}

/// Errors of the Text layer.
public enum TextError: Error, CustomStringConvertible, Equatable {
    case file(String, hint: String)
    case tokenizer(String, hint: String)

    public var description: String {
        switch self {
        case .file(let what, let hint): return "\(what) (\(hint))"
        case .tokenizer(let what, let hint): return "tokenizer: \(what) (\(hint))"
        }
    }
}
