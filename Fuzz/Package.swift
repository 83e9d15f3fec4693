// swift-tools-version:5.4
// libFuzzer targets for sitepack (issue 12 item 4), run by `make fuzz` (Fuzz/run.sh), never by `make test`.
//
// Tools version 5.4 on purpose: from 5.5 on SwiftPM renames an executable's entry point and links it
// with `--defsym main=<Target>_main`, which a libFuzzer binary (whose `main` is libFuzzer's, the Swift
// file compiled with `-parse-as-library` having none) cannot satisfy. Each target's `main.swift` only
// declares `LLVMFuzzerTestOneInput`.
//
// The root package does not see this folder (its targets live in Sources/ and Tests/). Build it with
// its own scratch path so the main `.build` is never touched; `-sanitize=fuzzer,address` must reach
// SitepackCore too (that is where the coverage the fuzzer steers by comes from), so it is passed to
// every module with -Xswiftc rather than through unsafeFlags here:
//   swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let fuzzTargets = ["FuzzArchive", "FuzzServeParsing", "FuzzRecordIO", "FuzzMesosJSON"]

let package = Package(
    name: "SitepackFuzz",
    dependencies: [
        .package(name: "sitepack", path: ".."),
    ],
    targets: fuzzTargets.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "SitepackCore", package: "sitepack")])
    }
)
