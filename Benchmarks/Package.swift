// swift-tools-version:6.2
import PackageDescription

// Benchmarks for Herald, kept apart from the product: a load generator that signs Svix
// webhooks (intake), and a template renderer comparison against hummingbird-project's
// swift-mustache (the only place a Swift package dependency is allowed). See README.md.
let package = Package(
    name: "HeraldBenchmarks",
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1")
    ],
    targets: [
        .systemLibrary(name: "CBenchCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .executableTarget(
            name: "herald-load",
            dependencies: ["CBenchCrypto"],
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),
        // The product's pure core, compiled from the same sources (Sources/HeraldCore is a link).
        .target(name: "HeraldCore"),
        .executableTarget(
            name: "herald-render-bench",
            dependencies: ["HeraldCore", .product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),
    ]
)
