// swift-tools-version:6.0
// A package that uses SwiftAutograd as any dependency is used: by URL and version.
// `make test-consumer` builds and runs it against a tagged clone of this repository.
import PackageDescription

// Where SwiftAutograd's git repository is: your package writes its URL here;
// `make test-consumer` sets SWIFTAUTOGRAD_URL to a file:// URL of a bare clone tagged 0.1.0.
let swiftAutograd = Context.environment["SWIFTAUTOGRAD_URL"] ?? "https://github.com/OWNER/SwiftAutograd.git"

let package = Package(
    name: "consumer",
    dependencies: [
        .package(url: swiftAutograd, from: "0.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "consumer",
            dependencies: [.product(name: "Autograd", package: "SwiftAutograd")]
        ),
    ]
)
