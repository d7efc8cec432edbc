// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Ballast",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Ballast", targets: ["Ballast"]),
        .executable(name: "ballast", targets: ["BallastCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CBallastLAPACK",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "BallastLinearAlgebra", dependencies: ["CBallastLAPACK"]),
        .target(name: "BallastMarketData"),
        .target(name: "BallastRiskModels", dependencies: ["BallastLinearAlgebra", "BallastMarketData"]),
        .target(
            name: "Ballast",
            dependencies: ["BallastLinearAlgebra", "BallastMarketData", "BallastRiskModels"]
        ),
        .executableTarget(
            name: "BallastCLI",
            dependencies: [
                "Ballast",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "BallastTestSupport", path: "Tests/BallastTestSupport"),
        .testTarget(name: "BallastLinearAlgebraTests", dependencies: ["BallastLinearAlgebra", "BallastTestSupport"]),
        .testTarget(name: "BallastMarketDataTests", dependencies: ["BallastMarketData", "BallastTestSupport"]),
        .testTarget(
            name: "BallastRiskModelsTests",
            dependencies: ["BallastRiskModels", "BallastMarketData", "BallastLinearAlgebra", "BallastTestSupport"]
        ),
        .testTarget(name: "BallastCLITests", dependencies: ["BallastCLI", "BallastTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
