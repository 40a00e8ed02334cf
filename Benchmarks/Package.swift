// swift-tools-version:6.2
import PackageDescription

// Benchmarks for Herald, kept apart from the product: a load generator that signs Svix
// webhooks and measures durable events per second and latency. See README.md.
let package = Package(
    name: "HeraldBenchmarks",
    targets: [
        .systemLibrary(name: "CBenchCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .executableTarget(
            name: "herald-load",
            dependencies: ["CBenchCrypto"],
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),
    ]
)
