// swift-tools-version: 6.0
import Foundation
import PackageDescription

// A path dependency is known by its folder's name; the repository may be cloned under any name.
let journeyPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Benchmarks live in their own package so that the main package's tests never
// build or run them; they depend on Journey by path and run release builds only:
//   swift run -c release --package-path Benchmarks journey-benchmarks
let package = Package(
  name: "JourneyBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(path: "..")
  ],
  targets: [
    .executableTarget(
      name: "journey-benchmarks",
      dependencies: [.product(name: "JourneyKit", package: journeyPackage)]
    )
  ]
)
