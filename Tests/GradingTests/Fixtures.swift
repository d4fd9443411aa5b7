import Foundation
import Grading

/// Where the tests find what they grade.
enum Fixtures {
  /// `Tests/Samples`: the sample submissions and their manifests.
  static let samplesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Samples").path

  /// The manifest of the sample submission variant `name`, such as `topics-ignored`.
  static func sampleManifest(_ name: String) -> String {
    samplesDirectory + "/\(name).json"
  }

  /// Whether `python3` can be run: the sample submissions are Python programs.
  static let hasPython: Bool = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains {
      FileManager.default.isExecutableFile(atPath: "\($0)/python3")
    }
  }()

  /// Whether this project's executables for `task` have been built next to the test runner.
  static func hasProjectExecutables(task: Int) -> Bool {
    (task == 4 ? ["broker", "client"] : ["server", "client"]).allSatisfy {
      FileManager.default.isExecutableFile(atPath: Grader.productsDirectory + "/task\(task)-\($0)")
    }
  }

  /// A new empty directory for one test, removed by the caller.
  static func makeTemporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("grading-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }
}
