// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "Cairn",
  products: [
    .executable(name: "cairn", targets: ["cairn"]),
    .executable(name: "cairn-bench", targets: ["CairnBench"]),
    .library(name: "CairnCore", targets: ["CairnCore"]),
  ],
  traits: [
    .trait(
      name: "App",
      description: "The `cairn app` command: a local web app on Hummingbird (target CairnApp)."
    ),
    .default(enabledTraits: ["App"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
    .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    .package(
      url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
  ],
  targets: [
    .systemLibrary(
      name: "CLibgit2",
      pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(
      name: "CDeflate",
      pkgConfig: "libdeflate",
      providers: [.apt(["libdeflate-dev"])]
    ),
    .systemLibrary(
      name: "CPNG",
      pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]
    ),
    .systemLibrary(
      name: "CTurboJPEG",
      pkgConfig: "libturbojpeg",
      providers: [.apt(["libturbojpeg0-dev"])]
    ),
    .target(
      name: "GitStore",
      dependencies: [
        "CLibgit2",
        "CDeflate",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "CairnCore",
      dependencies: [
        "Curation",
        "Evaluation",
        "GitStore",
        "CZlib",
        "CPNG",
        "CTurboJPEG",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "Evaluation",
      swiftSettings: swiftSettings
    ),
    .target(
      name: "Curation",
      swiftSettings: swiftSettings
    ),
    .target(
      name: "CairnApp",
      dependencies: [
        "CairnCore",
        "GitStore",
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      resources: [.copy("Web")],
      swiftSettings: swiftSettings
    ),
    .target(
      name: "CairnCLI",
      dependencies: [
        "CairnCore",
        "Evaluation",
        "GitStore",
        .target(name: "CairnApp", condition: .when(traits: ["App"])),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "cairn",
      dependencies: ["CairnCLI"],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "CairnBench",
      dependencies: [
        "CairnTestSupport",
        "CairnCore",
        "Curation",
        "Evaluation",
        "GitStore",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/CairnBench",
      swiftSettings: swiftSettings
    ),
    .target(
      name: "CairnTestSupport",
      dependencies: ["CairnCore"],
      path: "Tests/CairnTestSupport",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "GitStoreTests",
      dependencies: ["GitStore", "CairnCore", "CairnTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "CairnCoreTests",
      dependencies: ["CairnCore", "Evaluation", "GitStore", "CairnTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "EvaluationTests",
      dependencies: ["Evaluation", "CairnTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "CurationTests",
      dependencies: ["Curation", "CairnTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "CairnAppTests",
      dependencies: ["CairnCore", "CairnTestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "CairnCLITests",
      dependencies: ["CairnCore", "CairnTestSupport"],
      swiftSettings: swiftSettings
    ),
  ]
)
