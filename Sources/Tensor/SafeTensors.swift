import Foundation

/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
/// JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative
/// to the byte after the header) plus an optional "__metadata__" map of strings, then the raw data.
/// This reader accepts F32 tensors (and F16/BF16/F64, converted to fp32); every structural problem is
/// a thrown `SafeTensorsError` naming the tensor and the fault.
public enum SafeTensors {
    /// One tensor of a file, as fp32.
    public struct Entry: Equatable, Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }

    /// Writes tensors (in the given order) and string metadata as F32 safetensors, atomically.
    public static func write(_ tensors: [(String, [Int], UnsafeBufferPointer<Float>)], metadata: [String: String], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, shape, buf) in tensors {
            let n = shape.reduce(1, *)
            guard n == buf.count else { throw SafeTensorsError(message: "tensor \(name): shape \(shape) but \(buf.count) values", hint: "internal error") }
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * n]] as [String: Any]
            offset += 4 * n
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, _, buf) in tensors {
            buf.withMemoryRebound(to: UInt8.self) { bytes in out.append(bytes.baseAddress!, count: bytes.count) }
        }
        try out.write(to: url, options: .atomic)
    }

    /// Reads every tensor and the metadata of a safetensors file.
    public static func read(_ url: URL) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw SafeTensorsError(message: "cannot read \(url.path): \(error.localizedDescription)", hint: "check the path")
        }
        return try parse(data, name: url.lastPathComponent)
    }

    /// Parses safetensors bytes (see `read`).
    public static func parse(_ data: Data, name: String = "checkpoint") throws -> (tensors: [String: Entry], metadata: [String: String]) {
        func bad(_ what: String, _ hint: String = "the file is not a valid safetensors file; re-save it") -> SafeTensorsError {
            SafeTensorsError(message: "\(name): \(what)", hint: hint)
        }
        guard data.count >= 8 else { throw bad("only \(data.count) bytes, shorter than the 8-byte header length", "the file is truncated") }
        let headerLen = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLen <= 100_000_000, 8 + Int(headerLen) <= data.count else {
            throw bad("header length \(headerLen) runs past the end of the \(data.count)-byte file", "the file is truncated or not safetensors")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLen)))
        guard let obj = try? JSONSerialization.jsonObject(with: headerData), let header = obj as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLen)
        let dataLen = data.count - dataStart
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let mm = m as? [String: Any] else { throw bad("__metadata__ is not a map") }
            for (k, v) in mm {
                guard let s = v as? String else { throw bad("__metadata__[\(k)] is not a string") }
                metadata[k] = s
            }
        }
        var tensors: [String: Entry] = [:]
        var spans: [(Int, Int, String)] = []
        for (key, value) in header where key != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offs = info["data_offsets"] as? [Any], offs.count == 2 else {
                throw bad("tensor \(key) lacks dtype, shape or data_offsets")
            }
            let shape = try shapeAny.map { v -> Int in
                guard let i = (v as? NSNumber)?.intValue, i >= 0 else { throw bad("tensor \(key) has a bad shape \(shapeAny)") }
                return i
            }
            guard let b = (offs[0] as? NSNumber)?.intValue, let e = (offs[1] as? NSNumber)?.intValue, 0 <= b, b <= e else {
                throw bad("tensor \(key) has bad data_offsets \(offs)")
            }
            guard e <= dataLen else { throw bad("tensor \(key) ends at byte \(e) of a \(dataLen)-byte data section", "the file is truncated") }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "F64": width = 8
            default: throw bad("tensor \(key) has dtype \(dtype)", "only floating-point tensors (F32, F16, BF16, F64) can be loaded; convert the checkpoint to float32")
            }
            let n = shape.reduce(1, *)
            guard e - b == n * width else {
                throw bad("tensor \(key) of shape \(shape) and dtype \(dtype) needs \(n * width) bytes but spans \(e - b)")
            }
            spans.append((b, e, key))
            var values = [Float](repeating: 0, count: n)
            data.withUnsafeBytes { raw in
                let base = raw.baseAddress! + dataStart + b
                switch dtype {
                case "F32":
                    values.withUnsafeMutableBytes { dst in dst.copyMemory(from: UnsafeRawBufferPointer(start: base, count: 4 * n)) }
                case "F64":
                    for i in 0..<n { values[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                case "F16":
                    for i in 0..<n { values[i] = Float(halfBits: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                default: // BF16
                    for i in 0..<n { values[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
                }
            }
            tensors[key] = Entry(shape: shape, values: values)
        }
        spans.sort { $0.0 < $1.0 }
        for i in 1..<max(spans.count, 1) where spans[i].0 < spans[i - 1].1 {
            throw bad("tensors \(spans[i - 1].2) and \(spans[i].2) overlap")
        }
        return (tensors, metadata)
    }
}

/// A malformed or unreadable safetensors file: what is wrong, and what to do.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let hint: String
    public var description: String { "bad safetensors file: \(message) (\(hint))" }
}

extension Float {
    /// IEEE half-precision bits to Float.
    init(halfBits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F), mant = UInt32(h & 0x3FF)
        if exp == 0 {
            self = (sign != 0 ? -1 : 1) * Float(mant) * powf(2, -24)
        } else if exp == 31 {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
        }
    }
}
