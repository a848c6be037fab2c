// swift-tools-version:5.9
// The Swift client swift-openapi-generator makes from api/openapi.yaml (issue 14), and a
// program that sends the README request with it. The generated sources are committed
// (Sources/AutogradAPIClient, rewritten by `make swift-client-generate`, i.e.
// generate.py) because building the generator takes minutes; `make test` compiles them
// and runs `readme-request` against a live server.
import PackageDescription

let package = Package(
    name: "openapi-swift-client",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession", from: "1.4.0"),
    ],
    targets: [
        .target(
            name: "AutogradAPIClient",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            exclude: ["openapi-generator-config.yaml", "openapi.sha256"]
        ),
        .executableTarget(
            name: "readme-request",
            dependencies: [
                "AutogradAPIClient",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIURLSession", package: "swift-openapi-urlsession"),
            ]
        ),
    ]
)
