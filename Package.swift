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
    // Task 2: a threaded publisher/subscriber server with locks.
    .library(name: "Task2Roles", targets: ["Task2Roles"]),
    .executable(name: "task2-server", targets: ["Task2Server"]),
    .executable(name: "task2-client", targets: ["Task2Client"]),
    // Task 3: topic-filtered routing, the full broker.
    .library(name: "Task3Topics", targets: ["Task3Topics"]),
    .executable(name: "task3-server", targets: ["Task3Server"]),
    .executable(name: "task3-client", targets: ["Task3Client"]),
    // Regenerates (or, with --check, verifies) the transcripts in the README files.
    .executable(name: "transcripts", targets: ["Transcripts"]),
    // Measures brokers (this workbook's and nats-server) with publishers and subscribers.
    .executable(name: "pubsub-bench", targets: ["PubSubBench"]),
    // Grades this project, or any language's submission, by the course's marks.
    .executable(name: "grade", targets: ["Grade"]),
    // Task 4: a primary/backup pair of brokers and a client that fails over between them.
    .library(name: "Task4Architecture", targets: ["Task4Architecture"]),
    .executable(name: "task4-broker", targets: ["Task4Broker"]),
    .executable(name: "task4-client", targets: ["Task4Client"]),
    // Kills the Task 4 primary mid-stream and measures the failover (scripts/measure-failover.sh).
    .executable(name: "failover-probe", targets: ["FailoverProbe"]),
  ],
  targets: [
    // MARK: - Task 1: sockets, line framing and a single-client echo server

    .target(name: "Task1Echo", path: "Task1Echo/Sources/Task1Echo"),
    .executableTarget(
      name: "Task1Server", dependencies: ["Task1Echo"], path: "Task1Echo/Sources/Task1Server"),
    .executableTarget(
      name: "Task1Client", dependencies: ["Task1Echo"], path: "Task1Echo/Sources/Task1Client"),

    // MARK: - Task 2: threads, locks, roles and per-subscriber outboxes

    .target(name: "Task2Roles", dependencies: ["Task1Echo"], path: "Task2Roles/Sources/Task2Roles"),
    .executableTarget(
      name: "Task2Server", dependencies: ["Task2Roles"], path: "Task2Roles/Sources/Task2Server"),
    .executableTarget(
      name: "Task2Client", dependencies: ["Task2Roles"], path: "Task2Roles/Sources/Task2Client"),

    // MARK: - Task 3: topics, wildcards, commands and a fast broker

    .target(
      name: "Task3Topics", dependencies: ["Task2Roles"], path: "Task3Topics/Sources/Task3Topics"),
    .executableTarget(
      name: "Task3Server", dependencies: ["Task3Topics"], path: "Task3Topics/Sources/Task3Server"),
    .executableTarget(
      name: "Task3Client", dependencies: ["Task3Topics"], path: "Task3Topics/Sources/Task3Client"),

    // MARK: - Tests

    // Runs the built executables and sockets with deadlines; shared by every stage's tests.
    .target(name: "TestSupport", dependencies: ["Task1Echo"], path: "Tests/TestSupport"),
    .testTarget(
      name: "Task1EchoTests",
      dependencies: ["Task1Echo", "TestSupport", "Task1Server", "Task1Client"],
      path: "Tests/Task1EchoTests"),
    .testTarget(
      name: "Task2RolesTests",
      dependencies: ["Task2Roles", "TestSupport", "Task2Server", "Task2Client"],
      path: "Tests/Task2RolesTests"),
    .testTarget(
      name: "Task3TopicsTests",
      dependencies: ["Task3Topics", "TestSupport", "Task3Server", "Task3Client"],
      path: "Tests/Task3TopicsTests"),
    // Runs the built programs in scripted scenarios; depends on them so they are rebuilt first.
    .executableTarget(
      name: "Transcripts",
      dependencies: [
        "Task1Echo", "TestSupport", "Task1Server", "Task1Client", "Task2Server", "Task2Client",
        "Task3Server", "Task3Client",
      ],
      path: "Tests/Transcripts"),

    // MARK: - Benchmark: pubsub-bench and its pure logic

    .target(name: "BenchmarkKit", path: "Task3Topics/Sources/BenchmarkKit"),
    .executableTarget(
      name: "PubSubBench", dependencies: ["BenchmarkKit", "Task1Echo"],
      path: "Task3Topics/Sources/PubSubBench"),
    .testTarget(
      name: "BenchmarkKitTests", dependencies: ["BenchmarkKit"], path: "Tests/BenchmarkKitTests"),

    // MARK: - The graded test suite: the checks, the `grade` command and their proof

    .target(name: "Grading", dependencies: ["Task1Echo"], path: "Tests/Grading"),
    // Depends on the executables it grades, so that `swift run grade` builds them first.
    .executableTarget(
      name: "Grade",
      dependencies: [
        "Grading", "Task1Echo", "Task1Server", "Task1Client", "Task2Server", "Task2Client",
        "Task3Server", "Task3Client", "Task4Broker", "Task4Client",
      ],
      path: "Tests/Grade"),
    // `Grade` brings the executables it grades; the tests grade them and run `grade` itself.
    .testTarget(
      name: "GradingTests", dependencies: ["Grading", "Grade"], path: "Tests/GradingTests"),

    // MARK: - Task 4: replication, failover and fencing

    .target(
      name: "Task4Architecture", dependencies: ["Task3Topics"],
      path: "Task4Architecture/Sources/Task4Architecture"),
    .executableTarget(
      name: "Task4Broker", dependencies: ["Task4Architecture"],
      path: "Task4Architecture/Sources/Task4Broker"),
    .executableTarget(
      name: "Task4Client", dependencies: ["Task4Architecture"],
      path: "Task4Architecture/Sources/Task4Client"),
    .executableTarget(
      name: "FailoverProbe", dependencies: ["Task4Architecture"],
      path: "Task4Architecture/Sources/FailoverProbe"),
    .testTarget(
      name: "Task4ArchitectureTests",
      dependencies: ["Task4Architecture", "TestSupport", "Task4Broker", "Task4Client"],
      path: "Tests/Task4ArchitectureTests"),

    // MARK: - The live web view of the Task 3 server (--http)

    .testTarget(
      name: "LiveViewTests",
      dependencies: ["Task3Topics", "TestSupport", "Task3Server", "Task3Client"],
      path: "Tests/LiveViewTests"),

    // MARK: - Reliability: hostile input, churn, limits and shutdown (see RELIABILITY.md)

    // The libFuzzer targets in Tests/Fuzz are built by scripts/fuzz.sh, not by SwiftPM.
    .testTarget(
      name: "ReliabilityTests",
      dependencies: ["Task3Topics", "TestSupport", "Task3Server", "Task3Client"],
      path: "Tests/ReliabilityTests"),
  ],
  swiftLanguageModes: [.v6]
)
