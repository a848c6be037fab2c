// swift-tools-version:5.9
// Only for building swift-openapi-generator's command-line tool (generate.py).
import PackageDescription

let package = Package(
    name: "openapi-generator-tool",
    dependencies: [.package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3")],
    targets: []
)
