// swift-tools-version:6.0
import PackageDescription

// No target a library product pulls in may set unsafeFlags: SwiftPM refuses them in a
// package depended on by version. Wider vectors come from CAutogradKernels' run-time
// dispatch instead of -target-cpu (docs/architecture.md).

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
        // AutogradONNX reads ModelProto with the runtime library only; its Swift code is
        // generated once and committed (tools/gen_onnx_proto.sh), so the plugin is never built.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `make docs`: DocC for the Autograd library (docc itself ships with the toolchain).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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
            linkerSettings: [.linkedLibrary("microhttpd"), .linkedLibrary("gnutls")]
        ),
        // zlib for gzip bodies (Content-Encoding), only under the server: the Autograd
        // product never links it.
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "GzipCoding", dependencies: ["CZlib"]),
        // The engine's hottest loops, compiled for each CPU level and chosen at run time.
        .target(name: "CAutogradKernels"),
        // oneDNN's dnnl_sgemm for float32 products, opened with dlopen when present (never
        // linked: no new system requirement); OpenBLAS otherwise (docs/performance.md).
        .target(name: "CAutogradGemm", linkerSettings: [.linkedLibrary("dl")]),
        // The square root as a plain instruction, so that loops over it vectorise.
        .target(name: "CAutogradMath"),
        // The engine: tensors, ops with their vector-Jacobian products, backward, modules.
        .target(
            name: "Autograd",
            dependencies: [
                "COpenBLAS", "CAutogradKernels", "CAutogradGemm", "CAutogradMath",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        // The JSON graph format: decode, validate, run on Autograd, encode.
        // Base64's bulk loops (AVX2 where the CPU has it, chosen at run time) for "b64" tensors.
        .target(name: "CBase64"),
        .target(name: "AutogradGraph", dependencies: ["Autograd", "CBase64"]),
        // ONNX models as graphs (issue 11): a ModelProto expanded into the graph format's
        // tensors and ops. Not part of the Autograd product.
        .target(
            name: "AutogradONNX",
            dependencies: ["AutogradGraph", "Autograd", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Proto/onnx.proto3"]
        ),
        // HTTP on libmicrohttpd: lifecycle, routing, limits, problem responses.
        .target(
            name: "AutogradServer",
            dependencies: [
                "Autograd", "AutogradGraph", "CMicroHTTPD", "GzipCoding",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // GET /openapi.yaml: api/openapi.yaml (through a symlink) compiled into the binary;
            // GET /: the page's files in Web/ (api/examples through symlinks), the same way.
            resources: [.embedInCode("openapi.yaml"), .embedInCode("Web")]
        ),
        .executableTarget(
            name: "autograd-server",
            dependencies: [
                "AutogradServer", "AutogradONNX",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks (issue 4): `swift run -c release autograd-bench [--json]`; not a test.
        .executableTarget(
            name: "autograd-bench",
            dependencies: ["Autograd", "AutogradGraph", "AutogradONNX", "COpenBLAS", "CBenchAlloc"]
        ),
        // `make docs`: docs/ops.md from the op definitions (OpReference).
        .executableTarget(name: "autograd-docs", dependencies: ["AutogradGraph"]),
        // autograd-bench's allocation counter (malloc defined in the executable; issue 21).
        .target(name: "CBenchAlloc"),
        // libFuzzer target over the request path, JSON, gzip and ONNX bodies (`make fuzz`); a
        // corpus replayer otherwise.
        // Its unsafeFlags are allowed: no product exports it, so a package depending on this
        // one never builds it (`make test-consumer` checks that dependents build).
        .executableTarget(
            name: "autograd-fuzz",
            dependencies: ["AutogradGraph", "GzipCoding", "AutogradONNX", "CMicroHTTPD", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // `make test-asan`: deliberately wrong custom ops under the address sanitizer (issue 22).
        .executableTarget(name: "autograd-safety-check", dependencies: ["Autograd"], path: "Tests/SafetyCheck"),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd"]),
        // Fixtures (Tests/Fixtures, api/examples) are read from the checkout by path.
        .testTarget(name: "AutogradGraphTests", dependencies: ["AutogradGraph", "Autograd"]),
        .testTarget(name: "AutogradServerTests", dependencies: ["AutogradServer", "AutogradGraph", "GzipCoding", "AutogradONNX"]),
        .testTarget(name: "AutogradONNXTests", dependencies: ["AutogradONNX", "AutogradGraph", "AutogradServer", "Autograd"]),
    ],
    swiftLanguageModes: [.v6]
)
