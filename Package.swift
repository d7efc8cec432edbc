// swift-tools-version: 6.1
import Foundation
import PackageDescription

let package = Package(
    name: "Ballast",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Ballast", targets: ["Ballast"]),
        .executable(name: "ballast", targets: ["BallastCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBallastLAPACK",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "BallastLinearAlgebra", dependencies: ["CBallastLAPACK"]),
        .target(name: "CBallastSHA256"),
        .target(name: "BallastMarketData"),
        .target(name: "BallastRiskModels", dependencies: ["BallastLinearAlgebra", "BallastMarketData"]),
        .target(name: "BallastRebalancing", dependencies: ["BallastMarketData"]),
        .target(name: "BallastProfiling", dependencies: ["BallastMarketData", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "BallastOptimization", dependencies: ["BallastLinearAlgebra", "BallastMarketData", "BallastRiskModels"]),
        .target(
            name: "BallastAudit",
            dependencies: [
                "CBallastSHA256", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "BallastBacktest",
            dependencies: ["BallastMarketData", "BallastRiskModels", "BallastOptimization", "BallastRebalancing"]
        ),
        .target(
            name: "BallastWorkflows",
            dependencies: [
                "BallastMarketData", "BallastRiskModels", "BallastOptimization", "BallastProfiling", "BallastRebalancing",
                "BallastBacktest", "BallastAudit", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "BallastReports",
            dependencies: [
                "BallastMarketData", "BallastRiskModels", "BallastOptimization", "BallastProfiling", "BallastRebalancing",
                "BallastBacktest",
                "BallastWorkflows",
            ]
        ),
        .target(
            name: "Ballast",
            dependencies: [
                "BallastLinearAlgebra", "BallastMarketData", "BallastRiskModels", "BallastOptimization", "BallastProfiling",
                "BallastRebalancing", "BallastBacktest", "BallastAudit", "BallastWorkflows", "BallastReports",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "BallastCLI",
            dependencies: [
                "Ballast",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The long help of every command, compiled into the binary (Support/Help.swift).
            resources: [.embedInCode("Help.md")]
        ),
        .executableTarget(name: "ballast-example-risk-model", dependencies: ["Ballast"], path: "Examples/RiskModel"),
        .executableTarget(name: "ballast-example-recommend", dependencies: ["Ballast"], path: "Examples/Recommend"),
        .executableTarget(name: "ballast-example-batch-rebalance", dependencies: ["Ballast"], path: "Examples/BatchRebalance"),
        .target(name: "BallastTestSupport", dependencies: ["BallastMarketData"], path: "Tests/BallastTestSupport"),
        .testTarget(name: "BallastLinearAlgebraTests", dependencies: ["BallastLinearAlgebra", "BallastTestSupport"]),
        .testTarget(name: "BallastMarketDataTests", dependencies: ["BallastMarketData", "BallastTestSupport"]),
        .testTarget(
            name: "BallastRiskModelsTests",
            dependencies: ["BallastRiskModels", "BallastMarketData", "BallastLinearAlgebra", "BallastTestSupport"]
        ),
        .testTarget(
            name: "BallastOptimizationTests",
            dependencies: ["BallastOptimization", "BallastRiskModels", "BallastMarketData", "BallastLinearAlgebra", "BallastTestSupport"]
        ),
        .testTarget(
            name: "BallastProfilingTests",
            dependencies: ["BallastProfiling", "BallastOptimization", "BallastRiskModels", "BallastMarketData", "BallastTestSupport"]
        ),
        .testTarget(name: "BallastRebalancingTests", dependencies: ["BallastRebalancing", "BallastMarketData", "BallastTestSupport"]),
        .testTarget(
            name: "BallastBacktestTests",
            dependencies: [
                "BallastBacktest", "BallastRebalancing", "BallastOptimization", "BallastRiskModels", "BallastMarketData",
                "BallastTestSupport",
            ]
        ),
        .testTarget(
            name: "BallastAuditTests",
            dependencies: [
                "BallastAudit", "CBallastSHA256", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "BallastTests", dependencies: ["Ballast", "BallastTestSupport"]),
        .testTarget(name: "BallastWorkflowsTests", dependencies: ["BallastWorkflows", "Ballast", "BallastTestSupport"]),
        .testTarget(name: "BallastCLITests", dependencies: ["BallastCLI", "BallastTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Benchmarks (opt-in)
//
// The benchmark harness (package-benchmark) and the peer-comparison driver are only part of
// the package when BALLAST_BENCHMARKS=1, so that building and testing Ballast never fetches
// or compiles them. See Benchmarks/README.md.
if ProcessInfo.processInfo.environment["BALLAST_BENCHMARKS"] == "1" {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets += [
        .target(name: "BallastBenchSupport", dependencies: ["Ballast"], path: "Benchmarks/BenchSupport"),
        .executableTarget(name: "ballast-peer-bench", dependencies: ["BallastBenchSupport", "Ballast"], path: "Benchmarks/PeerBench"),
        .executableTarget(
            name: "RiskModels",
            dependencies: ["BallastBenchSupport", "Ballast", .product(name: "Benchmark", package: "package-benchmark")],
            path: "Benchmarks/RiskModels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "Rebalancing",
            dependencies: ["Ballast", .product(name: "Benchmark", package: "package-benchmark")],
            path: "Benchmarks/Rebalancing",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "Backtest",
            dependencies: ["Ballast", .product(name: "Benchmark", package: "package-benchmark")],
            path: "Benchmarks/Backtest",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
}

// MARK: - Fuzz targets (opt-in)
//
// libFuzzer targets, added only when BALLAST_FUZZ=1 and built with -sanitize=fuzzer into their
// own scratch folder by `.ci/fuzz`, so that normal builds never see them.
if ProcessInfo.processInfo.environment["BALLAST_FUZZ"] == "1" {
    let fuzzers: [(name: String, folder: String, dependencies: [Target.Dependency])] = [
        ("fuzz-price-csv", "PriceCSV", ["BallastMarketData"]),
        ("fuzz-customer-file", "CustomerFile", ["BallastMarketData", "BallastProfiling"]),
        ("fuzz-questionnaire", "Questionnaire", ["BallastProfiling"]),
        ("fuzz-account-line", "AccountLine", ["BallastMarketData", "BallastRebalancing"]),
    ]
    package.targets.append(.target(name: "FuzzDriver", path: "Tests/Fuzz/Driver"))
    for f in fuzzers {
        package.targets.append(
            .executableTarget(name: f.name, dependencies: f.dependencies + ["FuzzDriver"], path: "Tests/Fuzz/\(f.folder)"))
    }
}
