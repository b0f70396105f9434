/// Splits bytes into the chunks BPE merges may not cross, in the spirit of GPT-2's pattern (without its
/// special case for English contractions)
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, on bytes:
/// a chunk is an optional single leading space followed by a run of letters (ASCII letters, `_` and every
/// non-ASCII byte, so UTF-8 letters and invalid bytes stay in words), a run of digits, or a run of other
/// symbols; whitespace runs give up their last space to the word that follows. The chunks partition
/// the input, so decoding is exact for any bytes.
public enum PreTokenizer {
    enum Kind: UInt8 { case letter, digit, space, other }

    @inline(__always) static func kind(_ b: UInt8) -> Kind {
        switch b {
        case 0x41...0x5A, 0x61...0x7A, 0x5F, 0x80...0xFF: return .letter
        case 0x30...0x39: return .digit
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return .space
        default: return .other
        }
    }

    /// Calls `body` with each chunk's byte range, in order.
    public static func split(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let n = bytes.count
        var i = 0
        while i < n {
            let start = i
            var k = kind(bytes[i])
            if k == .space {
                var j = i
                while j < n && kind(bytes[j]) == .space { j += 1 }
                if j < n && bytes[j - 1] == 0x20 && j - 1 > i {
                    // Leave the last space to the next word (GPT-2's \s+(?!\S)).
                    body(i..<(j - 1)); i = j - 1; continue
                } else if j < n && bytes[j - 1] == 0x20 && j - 1 == i {
                    // A single space: it starts the next word.
                    i += 1
                    k = kind(bytes[i])
                } else {
                    body(i..<j); i = j; continue
                }
            }
            var j = i + 1
            while j < n && kind(bytes[j]) == k { j += 1 }
            body(start..<j)
            i = j
        }
    }

    /// The chunks of `bytes` as arrays.
    public static func chunks(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        bytes.withUnsafeBufferPointer { buf in split(buf) { out.append(bytes[$0]) } }
        return out
    }
}
