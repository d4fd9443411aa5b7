// swift-tools-version:6.0
// The PubSub Workbook: four stages of a publish/subscribe broker, each a folder that imports the
// stage before it and adds one idea. See README.md for the tour.

import PackageDescription

let package = Package(
  name: "PubSubWorkbook",
  products: [
    // Task 1: a single-client echo server and its client.
    .library(name: "Task1Echo", targets: ["Task1Echo"]),
    .executable(name: "task1-server", targets: ["Task1Server"]),
    .executable(name: "task1-client", targets: ["Task1Client"]),
  ],
  targets: [
    // MARK: - Task 1: sockets, line framing and a single-client echo server

    .target(name: "Task1Echo", path: "Task1Echo/Sources/Task1Echo"),
    .executableTarget(
      name: "Task1Server", dependencies: ["Task1Echo"], path: "Task1Echo/Sources/Task1Server"),
    .executableTarget(
      name: "Task1Client", dependencies: ["Task1Echo"], path: "Task1Echo/Sources/Task1Client"),

    // MARK: - Tests

    // Runs the built executables and sockets with deadlines; shared by every stage's tests.
    .target(name: "TestSupport", dependencies: ["Task1Echo"], path: "Tests/TestSupport"),
    .testTarget(
      name: "Task1EchoTests",
      dependencies: ["Task1Echo", "TestSupport", "Task1Server", "Task1Client"],
      path: "Tests/Task1EchoTests"),
  ],
  swiftLanguageModes: [.v6]
)
