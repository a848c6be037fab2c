#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal to `Double` conversion for the parser. Every result is correctly rounded
/// (round to nearest, ties to even):
///
/// 1. Clinger's fast path: a significand `m <= 2^53` and `|scale| <= 22` is exact as
///    `Double(m) * 10^scale` or `Double(m) / 10^-scale` (both operands exact, one
///    rounding). Also `scale == 0` with any 64-bit `m` (one rounding in the conversion),
///    and `22 < scale <= 22 + 15` when `m * 10^(scale - 22)` stays below 2^53.
/// 2. Otherwise, for up to 19 significant digits, the Eisel-Lemire algorithm (as in
///    fast_float): a 64x128-bit product with a truncated power of five gives the result
///    or, in the rare ambiguous cases, declines.
/// 3. Otherwise (more than 19 significant digits, or Eisel-Lemire declined) `strtod` on
///    a NUL-terminated, locale-independent copy (`digits e scale`, no decimal point),
///    which glibc rounds correctly.
enum JSONNumberParsing {
    /// 10^0 ... 10^22, all exactly representable.
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// 10^0 ... 10^15 as integers, for the extended fast path.
    static let intPowersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
        1_000_000_000, 10_000_000_000, 100_000_000_000, 1_000_000_000_000,
        10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
    ]

    /// `mantissa * 10^scale` when it can be computed exactly with one rounding, else nil.
    @inline(__always)
    static func fastPath(mantissa: UInt64, scale: Int) -> Double? {
        if scale == 0 { return Double(mantissa) }
        guard mantissa <= 1 << 53 else { return nil }
        if scale < 0 {
            guard scale >= -22 else { return nil }
            return powersOfTen.withUnsafeBufferPointer { Double(mantissa) / $0[-scale] }
        }
        if scale <= 22 {
            return powersOfTen.withUnsafeBufferPointer { Double(mantissa) * $0[scale] }
        }
        guard scale <= 22 + 15 else { return nil }
        let (m, overflow) = mantissa.multipliedReportingOverflow(
            by: intPowersOfTen.withUnsafeBufferPointer { $0[scale - 22] })
        guard !overflow, m <= 1 << 53 else { return nil }
        return Double(m) * 1e22
    }

    /// Eisel-Lemire: `w * 10^q` correctly rounded, for `w != 0`; nil when the product
    /// approximation cannot decide (then use `slowPath`).
    static func eiselLemire(_ w: UInt64, _ q: Int) -> Double? {
        if w == 0 || q < smallestPowerOfFive { return 0 }
        if q > largestPowerOfFive { return .infinity }
        let lz = w.leadingZeroBitCount
        let w = w << UInt64(lz)
        let index = 2 * (q - smallestPowerOfFive)
        return powersOfFive128.withUnsafeBufferPointer { table -> Double? in
            // 128-bit approximation of w * 5^q; the second word only when needed.
            var (high, low) = w.multipliedFullWidth(by: table[index])
            let precisionMask: UInt64 = 0xFFFF_FFFF_FFFF_FFFF >> 55  // 52 + 3 bits kept
            if high & precisionMask == precisionMask {
                let second = w.multipliedFullWidth(by: table[index + 1]).high
                let (sum, carry) = low.addingReportingOverflow(second)
                low = sum
                if carry { high &+= 1 }
            }
            // Conservative: the original algorithm's ambiguous case goes to strtod.
            if low == .max && (q < -27 || q > 55) { return nil }

            let upperbit = Int(high >> 63)
            let shift = UInt64(upperbit + 64 - 52 - 3)
            var mantissa = high >> shift
            // power(q) = floor(q * log2(10)) + 63, minus the minimum exponent -1023.
            var power2 = (((152_170 + 65_536) * q) >> 16) + 63 + upperbit - lz + 1023
            if power2 <= 0 {  // subnormal
                if -power2 + 1 >= 64 { return 0 }
                mantissa >>= UInt64(-power2 + 1)
                mantissa += mantissa & 1
                mantissa >>= 1
                power2 = mantissa < (1 << 52) ? 0 : 1
                return Double(bitPattern: UInt64(power2) << 52 | mantissa)
            }
            // Exactly halfway between two doubles (only possible for small q): ties to even.
            if low <= 1 && q >= -4 && q <= 23 && mantissa & 3 == 1 && (mantissa << shift) == high {
                mantissa &= ~1
            }
            mantissa += mantissa & 1
            mantissa >>= 1
            if mantissa >= (2 << 52) {
                mantissa = 1 << 52
                power2 += 1
            }
            mantissa &= ~(1 << 52)
            if power2 >= 0x7FF { return .infinity }
            return Double(bitPattern: UInt64(power2) << 52 | mantissa)
        }
    }

    /// Correctly rounded conversion through `strtod`. The digits are the integer digits
    /// `base[intStart..<intEnd]` followed by `fractionDigits` digits after the point at
    /// `intEnd`; the value is `digits * 10^scale` (unsigned).
    static func slowPath(
        base: UnsafePointer<UInt8>, intStart: Int, intEnd: Int, fractionDigits: Int, scale: Int
    ) -> Double {
        withDigitString(base: base, intStart: intStart, intEnd: intEnd, fractionDigits: fractionDigits, scale: scale) {
            strtod($0, nil)
        }
    }

    /// The same digits correctly rounded to `Float` by `strtof` (directly, not via
    /// `Double`): glibc's `strtof` rounds exactly, like its `strtod`.
    static func slowPathFloat(
        base: UnsafePointer<UInt8>, intStart: Int, intEnd: Int, fractionDigits: Int, scale: Int
    ) -> Float {
        withDigitString(base: base, intStart: intStart, intEnd: intEnd, fractionDigits: fractionDigits, scale: scale) {
            strtof($0, nil)
        }
    }

    /// Calls `body` with the NUL-terminated, locale-independent text `digits e scale`.
    private static func withDigitString<R: BinaryFloatingPoint>(
        base: UnsafePointer<UInt8>, intStart: Int, intEnd: Int, fractionDigits: Int, scale: Int,
        _ body: (UnsafePointer<CChar>) -> R
    ) -> R {
        let exponentText = Array(String(scale).utf8)
        let digits = (intEnd - intStart) + fractionDigits
        let capacity = digits + 1 + exponentText.count + 1
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buf in
            guard let p = buf.baseAddress else { return .nan }
            var k = 0
            for j in intStart..<intEnd {
                p[k] = CChar(bitPattern: base[j])
                k += 1
            }
            if fractionDigits > 0 {
                for j in (intEnd + 1)..<(intEnd + 1 + fractionDigits) {
                    p[k] = CChar(bitPattern: base[j])
                    k += 1
                }
            }
            p[k] = CChar(bitPattern: UInt8(ascii: "e"))
            k += 1
            for b in exponentText {
                p[k] = CChar(bitPattern: b)
                k += 1
            }
            p[k] = 0
            return body(p)
        }
    }
}
