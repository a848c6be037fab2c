// swift-tools-version:6.0
import PackageDescription

// The engine's loops are compiled for Haswell (x86-64-v3: AVX2 and FMA, every x86 server CPU since
// 2013) rather than baseline SSE2, which doubles their vector width. Floating-point
// results do not change: Swift never contracts a * b + c into an FMA. Set
// AUTOGRAD_TARGET_CPU to another -target-cpu (`native`, `skylake-avx512`) or to "" for the
// compiler's default when building for older machines.
#if arch(x86_64)
let engineCPU = Context.environment["AUTOGRAD_TARGET_CPU"] ?? "haswell"
#else
let engineCPU = Context.environment["AUTOGRAD_TARGET_CPU"] ?? ""
#endif
let engineSettings: [SwiftSetting] = engineCPU.isEmpty ? [] : [.unsafeFlags(["-target-cpu", engineCPU])]

let package = Package(
    name: "SwiftAutograd",
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .executable(name: "autograd-server", targets: ["autograd-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C shims: thin, one header each (see the module maps for why they exist).
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CMicroHTTPD",
            linkerSettings: [.linkedLibrary("microhttpd")]
        ),
        // The square root as a plain instruction, so that loops over it vectorise.
        .target(name: "CAutogradMath"),
        // The engine: tensors, ops with their vector-Jacobian products, backward, modules.
        .target(
            name: "Autograd",
            dependencies: [
                "COpenBLAS", "CAutogradMath",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: engineSettings
        ),
        // The JSON graph format: decode, validate, run on Autograd, encode.
        .target(name: "AutogradGraph", dependencies: ["Autograd"]),
        // HTTP on libmicrohttpd: lifecycle, routing, limits, problem responses.
        .target(
            name: "AutogradServer",
            dependencies: [
                "AutogradGraph", "CMicroHTTPD",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // GET /openapi.yaml: api/openapi.yaml (through a symlink) compiled into the binary.
            resources: [.embedInCode("openapi.yaml")]
        ),
        .executableTarget(
            name: "autograd-server",
            dependencies: [
                "AutogradServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks (issue 4): `swift run -c release autograd-bench [--json]`; not a test.
        .executableTarget(
            name: "autograd-bench",
            dependencies: ["Autograd", "AutogradGraph", "COpenBLAS", "CBenchAlloc"]
        ),
        // `make docs`: docs/ops.md from the op definitions (OpReference).
        .executableTarget(name: "autograd-docs", dependencies: ["AutogradGraph"]),
        // autograd-bench's allocation counter (malloc defined in the executable; issue 21).
        .target(name: "CBenchAlloc"),
        // libFuzzer target over the request path (`make fuzz`); a corpus replayer otherwise.
        .executableTarget(
            name: "autograd-fuzz",
            dependencies: ["AutogradGraph"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd"]),
        // Fixtures (Tests/Fixtures, api/examples) are read from the checkout by path.
        .testTarget(name: "AutogradGraphTests", dependencies: ["AutogradGraph", "Autograd"]),
        .testTarget(name: "AutogradServerTests", dependencies: ["AutogradServer", "AutogradGraph"]),
    ],
    swiftLanguageModes: [.v6]
)
