// swift-tools-version:5.9
// Swift package for dbtoken (uniffi bindings).
//
// Not built in this repository's CI (there is no Swift compiler on those machines); see
// bindings/README.md for what is and is not tested. Before using it, on a Mac:
//
//   bindings/swift/build-xcframework.sh
//
// which builds DBTokenFFI.xcframework (iOS device, iOS simulator, macOS) and generates
// Sources/DBToken/DBToken.swift from the same library.
import PackageDescription

let package = Package(
    name: "DBToken",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "DBToken", targets: ["DBToken"]),
    ],
    targets: [
        // The Rust static library + DBTokenFFI.h + module.modulemap, per platform.
        .binaryTarget(name: "DBTokenFFI", path: "DBTokenFFI.xcframework"),
        // The generated Swift API (`import DBToken`).
        .target(name: "DBToken", dependencies: ["DBTokenFFI"], path: "Sources/DBToken"),
    ]
)
