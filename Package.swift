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
    // The workspace's web server (`journey serve`); only JourneyServe depends on it.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
    // The live PostgreSQL source (`fit/score --source`); only JourneyPostgres depends on it.
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
  ],
  targets: [
    // OpenBLAS (cblas) and LAPACKE from the system; only JourneyKit/LinearAlgebra imports it.
    .systemLibrary(
      name: "COpenBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    ),
    // exp and log over arrays, four values at a time with glibc's vector functions (libmvec)
    // where the CPU has AVX2; only JourneyKit/LinearAlgebra imports it.
    .target(
      name: "CVectorMath",
      linkerSettings: [.linkedLibrary("mvec", .when(platforms: [.linux])), .linkedLibrary("m", .when(platforms: [.linux]))]
    ),
    .target(
      name: "JourneyKit",
      dependencies: ["COpenBLAS", "CVectorMath", .product(name: "Yams", package: "Yams")]
    ),
    // `journey serve`: the planner's workspace over HTTP. The pages and the numbers are
    // JourneyKit's (Workspace/); this target only routes, guards and limits requests.
    .target(
      name: "JourneyServe",
      dependencies: [
        "JourneyKit",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
      ]
    ),
    // The live PostgreSQL source (fit/score --source): the only code that talks to a database,
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
        "JourneyServe",
        "JourneyPostgres",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The tests' temporary folders, under one folder per test process that is removed at exit.
    .target(name: "Scratch", path: "Tests/Scratch"),
    // Chart snapshots are read by path from the source tree, not bundled.
    .testTarget(name: "JourneyKitTests", dependencies: ["JourneyKit", "Scratch"], exclude: ["Reports/Snapshots"]),
    .testTarget(name: "JourneyCLITests", dependencies: ["journey", "JourneyKit", "Scratch"]),
    .testTarget(name: "JourneyServeTests", dependencies: ["journey", "Scratch"]),
  ]
)
