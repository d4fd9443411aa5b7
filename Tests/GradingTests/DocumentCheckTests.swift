import Foundation
import Grading
import Testing

@Suite("Task 4 document checks")
struct DocumentCheckTests {
  private func grade(files: [String: String]) throws -> TaskResult {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, contents) in files {
      try contents.write(
        to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let path =
      files.count == 1 ? directory.appendingPathComponent(files.keys.first!).path : directory.path
    return Task4Checks.gradeDocument(at: path)
  }

  private func failing(_ result: TaskResult) -> [String] {
    result.checks.filter { !$0.outcome.isPassed }.map(\.definition.identifier)
  }

  static let complete = """
    # Beyond one server
    The broker is a Single Point of Failure. We keep a replica on a second machine and
    fail-over to it; a load balancer spreads topics.

        +--------+     +--------+
        | broker |---->| backup |
        +--------+     +--------+
    """

  @Test("a complete document gets the 6 automatic marks; 4 are left to the marker")
  func complete() throws {
    let result = try grade(files: ["ARCHITECTURE.md": Self.complete])
    #expect(failing(result).isEmpty)
    #expect(result.awardedMarks == 6 && result.maximumMarks == 10 && result.markerMarks == 4)
  }

  @Test("each missing topic costs its own mark")
  func missingTopics() throws {
    let result = try grade(files: ["notes.txt": "Replication only.\n```mermaid\ngraph LR\n```"])
    #expect(failing(result) == ["4.3", "4.5", "4.6"])
  }

  @Test("without a diagram, 4.2 fails; an image in the folder counts as one")
  func diagram() throws {
    let plain = "single point of failure, replication, failover, load balancing"
    #expect(failing(try grade(files: ["a.md": plain])) == ["4.2"])
    #expect(failing(try grade(files: ["a.md": plain, "diagram.svg": "<svg/>"])).isEmpty)
  }

  @Test("a missing document fails 4.1 and leaves the rest not judged")
  func missingDocument() {
    let result = Task4Checks.gradeDocument(at: "/nonexistent/ARCHITECTURE.md")
    #expect(result.checks.first?.outcome.isPassed == false)
    for check in result.checks.dropFirst() {
      #expect(check.outcome == .notJudged(reason: "no document at /nonexistent/ARCHITECTURE.md"))
    }
  }

  @Test("a document the grader cannot read is left to the marker, not failed")
  func unreadableFormat() throws {
    let result = try grade(files: ["report.pdf": "%PDF-1.7 binary"])
    #expect(result.checks[0].outcome == .passed)
    for check in result.checks.dropFirst() {
      guard case .notJudged(let reason) = check.outcome else {
        Issue.record("\(check.definition.identifier) was judged")
        continue
      }
      #expect(reason.contains("checks these by hand"))
    }
  }
}
