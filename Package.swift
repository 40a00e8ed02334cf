// swift-tools-version:6.2
import PackageDescription

/// Settings every Swift target shares: Swift 6 mode, explicit existentials, imports kept
/// internal unless re-exported on purpose, and warnings treated as errors.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["herald"])
    ],
    targets: [
        // System C libraries, each imported by exactly one adapter module below.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // Pure logic: no C module, no FoundationNetworking.
        .target(name: "HeraldCore", swiftSettings: strict),

        // One thin adapter per C library.
        .target(name: "HeraldSQLite", dependencies: ["HeraldCore", "CSQLite"], swiftSettings: strict),
        .target(name: "HeraldPostgres", dependencies: ["HeraldCore", "CLibPQ"], swiftSettings: strict),
        .target(name: "HeraldCurl", dependencies: ["HeraldCore", "CCurl"], swiftSettings: strict),
        .target(name: "HeraldCrypto", dependencies: ["HeraldCore", "COpenSSL"], swiftSettings: strict),
        .target(name: "HeraldHTTPServer", dependencies: ["HeraldCore", "CMicroHTTPD"], swiftSettings: strict),

        // The providers' pure halves: URL parsing, request builders, response classifiers.
        .target(name: "HeraldProviders", dependencies: ["HeraldCore"], swiftSettings: strict),

        // Wiring, configuration and the CLI commands, as a testable library.
        .target(
            name: "HeraldApp",
            dependencies: [
                "HeraldCore", "HeraldProviders", "HeraldSQLite", "HeraldPostgres", "HeraldCurl", "HeraldCrypto", "HeraldHTTPServer",
            ],
            swiftSettings: strict
        ),
        // What the tests share: provider doubles on 127.0.0.1, log capture, scripted senders.
        .target(name: "HeraldTestSupport", dependencies: ["HeraldCore", "HeraldHTTPServer"], swiftSettings: strict),
        .executableTarget(name: "herald", dependencies: ["HeraldApp"], swiftSettings: strict),

        .testTarget(
            name: "HeraldCoreTests",
            dependencies: ["HeraldCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HeraldCryptoTests",
            dependencies: ["HeraldCore", "HeraldCrypto"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "HeraldProvidersTests", dependencies: ["HeraldCore", "HeraldProviders"], swiftSettings: strict),
        .testTarget(
            name: "HeraldStoreTests", dependencies: ["HeraldCore", "HeraldSQLite", "HeraldPostgres", "HeraldTestSupport"], swiftSettings: strict),
        .testTarget(name: "HeraldSQLiteTests", dependencies: ["HeraldCore", "HeraldSQLite"], swiftSettings: strict),
        .testTarget(name: "HeraldPostgresTests", dependencies: ["HeraldCore", "HeraldPostgres", "HeraldTestSupport"], swiftSettings: strict),
        .testTarget(name: "HeraldHTTPServerTests", dependencies: ["HeraldCore", "HeraldHTTPServer"], swiftSettings: strict),
        .testTarget(
            name: "HeraldCurlTests", dependencies: ["HeraldCore", "HeraldCurl", "HeraldHTTPServer", "HeraldTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HeraldAppTests",
            dependencies: [
                "HeraldCore", "HeraldApp", "HeraldCrypto", "HeraldCurl", "HeraldHTTPServer", "HeraldProviders", "HeraldSQLite",
                "HeraldPostgres", "HeraldTestSupport",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ]
)
