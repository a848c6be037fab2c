#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Numeric IP addresses, the only kind of `--host` accepted.
enum NumericAddress {
    static func isIPv6(_ host: String) -> Bool {
        var a6 = in6_addr()
        return inet_pton(AF_INET6, host, &a6) == 1
    }

    static func isValid(_ host: String) -> Bool {
        var a4 = in_addr()
        return inet_pton(AF_INET, host, &a4) == 1 || isIPv6(host)
    }

    /// `host:port` as it appears in a URL (IPv6 in brackets).
    static func authority(host: String, port: Int) -> String {
        isIPv6(host) ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
