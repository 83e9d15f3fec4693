// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sitepack",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sitepack", targets: ["sitepack"]),
        .library(name: "SitepackCore", targets: ["SitepackCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSitepackArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .systemLibrary(
            name: "CSitepackCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // zlib stays a shared library (a Mesos agent links it itself); libdeflate is not on agents,
        // so the release binary, the one served as the `sitepack` runtime, takes it from
        // libdeflate.a (`-l:` names the file, as GNU ld and lld spell it). `make release` also links
        // the Swift runtime and Foundation statically; ReleaseBinaryTests checks what is left.
        .target(
            name: "CSitepackZlib",
            linkerSettings: [
                .linkedLibrary("z"),
                .linkedLibrary("deflate", .when(configuration: .debug)),
                .linkedLibrary(":libdeflate.a", .when(configuration: .release)),
            ]
        ),
        .target(
            name: "SitepackCore",
            dependencies: [
                "CSitepackArchive",
                "CSitepackZlib",
                "CSitepackCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sitepack",
            dependencies: [
                "SitepackCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SitepackTestSupport",
            path: "Tests/SitepackTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SitepackCoreTests",
            dependencies: ["SitepackCore", "SitepackTestSupport"],
            exclude: ["Mesos/Fixtures"],
            swiftSettings: swiftSettings
        ),
        // A Mesos master's v1 scheduler endpoint for the launch tests (mesos.md §3), on SwiftNIO.
        .target(
            name: "MesosMasterEmulator",
            dependencies: [
                "SitepackCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/MesosMasterEmulator",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SitepackCore", "SitepackTestSupport", "MesosMasterEmulator"],
            swiftSettings: swiftSettings
        ),
    ]
)
