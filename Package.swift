// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Journey",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "JourneyKit", targets: ["JourneyKit"]),
    .executable(name: "journey", targets: ["journey"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // OpenBLAS (cblas) and LAPACKE from the system; only JourneyKit/LinearAlgebra imports it.
    .systemLibrary(
      name: "COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    ),
    .target(
      name: "JourneyKit",
      dependencies: ["COpenBLAS", .product(name: "Yams", package: "Yams")]
    ),
    .executableTarget(
      name: "journey",
      dependencies: [
        "JourneyKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Chart snapshots are read by path from the source tree, not bundled.
    .testTarget(name: "JourneyKitTests", dependencies: ["JourneyKit"], exclude: ["Reports/Snapshots"]),
    .testTarget(name: "JourneyCLITests", dependencies: ["journey", "JourneyKit"]),
  ]
)
