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
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
    // The live PostgreSQL source (fit/score --source): the only code that talks to a network,
    // kept out of JourneyKit so the library's core has no networking dependency.
    .target(
      name: "JourneyPostgres",
      dependencies: [
        "JourneyKit",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "journey",
      dependencies: [
        "JourneyKit",
        "JourneyPostgres",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Chart snapshots are read by path from the source tree, not bundled.
    .testTarget(name: "JourneyKitTests", dependencies: ["JourneyKit"], exclude: ["Reports/Snapshots"]),
    .testTarget(name: "JourneyCLITests", dependencies: ["journey", "JourneyKit"]),
  ]
)
