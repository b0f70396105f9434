/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64). Its whole state is four
/// words, so it is saved and restored exactly with a checkpoint.
public struct RNG: Codable, Equatable, Sendable {
    public var state: [UInt64]

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitmix(), splitmix(), splitmix(), splitmix()]
    }

    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = RNG.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]; state[3] ^= state[1]; state[1] ^= state[2]; state[0] ^= state[3]
        state[2] ^= t
        state[3] = RNG.rotl(state[3], 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform integer in 0..<n (n > 0), by Lemire's multiply-shift without bias correction (bias < 2^-32 for n < 2^32).
    public mutating func int(below n: Int) -> Int {
        Int((UInt64(UInt32(truncatingIfNeeded: next() >> 32)) &* UInt64(n)) >> 32)
    }

    /// Standard normal sample (Box-Muller, one of the pair).
    public mutating func normal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// Fisher-Yates shuffle.
    public mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            a.swapAt(i, j)
        }
    }
}

import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
