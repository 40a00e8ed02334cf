// swift-tools-version: 6.0
// Fuzz targets for HeraldCore (libFuzzer + AddressSanitizer), a package of their own so
// that nothing here reaches the product. Built and run by scripts/fuzz.sh.
import PackageDescription

let sanitizers = ["-sanitize=fuzzer,address"]

let package = Package(
    name: "HeraldFuzz",
    targets: [
        // The product's own core, compiled here with coverage for the fuzzer (a link).
        .target(name: "HeraldCore", path: "Sources/HeraldCore", swiftSettings: [.unsafeFlags(sanitizers)]),
        // Declares libFuzzer's driver: SwiftPM gives an executable its own main, which hands over to it.
        .target(name: "CFuzzerDriver", path: "Sources/CFuzzerDriver"),
        .executableTarget(
            name: "herald-fuzz", dependencies: ["HeraldCore", "CFuzzerDriver"], path: "Sources/herald-fuzz",
            swiftSettings: [.unsafeFlags(sanitizers + ["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(sanitizers + ["-use-ld=lld"])]),
    ]
)
