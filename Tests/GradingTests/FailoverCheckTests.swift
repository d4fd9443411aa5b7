import Foundation
import Grading
import Testing

/// This project's Task 4 checks: the failover prototype graded through its executables, and
/// its design document.
///
/// As the sample submissions prove the checks of Tasks 1 to 3, faulty variants of the
/// prototype prove these: each is the real program behind a small wrapper script that adds
/// one fault, and the test asserts that exactly the checks the fault breaks lose marks.
@Suite(
  "This project's Task 4 checks", .timeLimit(.minutes(1)),
  .enabled(
    if: Fixtures.hasProjectExecutables(task: 4), "task4-broker and task4-client are not built"))
struct FailoverCheckTests {
  /// A fault added to the prototype, and the checks it should cost.
  struct Fault: Sendable, CustomTestStringConvertible {
    /// What is wrong, for the test's name.
    let name: String
    /// The program the wrapper replaces, `task4-broker` or `task4-client`.
    let program: String
    /// The wrapper's shell script; `$real` is the real program.
    let script: String
    /// The checks that fail or cannot be judged because of the fault.
    let lost: Set<String>

    var testDescription: String { name }
  }

  static let faults = [
    Fault(
      name: "a client that knows only the first broker", program: "task4-client",
      script: """
        first=${1%%,*}
        shift
        exec "$real" "$first" "$@"
        """,
      lost: ["4.3"]),
    Fault(
      name: "a node started as primary that ignores its --peer", program: "task4-broker",
      script: """
        case " $* " in
          *" primary "*)
            for argument do
              shift
              if [ "$skip" = yes ]; then skip=no; continue; fi
              if [ "$argument" = --peer ]; then skip=yes; continue; fi
              set -- "$@" "$argument"
            done ;;
        esac
        exec "$real" "$@"
        """,
      lost: ["4.4"]),
  ]

  /// Grades the products in `directory`, with a complete design document of its own so that
  /// only the prototype decides the marks, and collects the progress lines.
  private func grade(_ directory: URL) async throws -> (TaskResult, [String]) {
    let document = directory.appendingPathComponent("DESIGN.md")
    try DocumentCheckTests.complete.write(to: document, atomically: true, encoding: .utf8)
    let lines = ProgressLines()
    let result = await Grader.onThread {
      Task4Checks.gradeProject(
        productsDirectory: directory.path, designDocument: document.path, progress: lines.append)
    }
    return (result, lines.all)
  }

  /// A folder holding this project's two Task 4 programs, or links to them.
  private func productsFolder() throws -> URL {
    let directory = try Fixtures.makeTemporaryDirectory()
    for program in ["task4-broker", "task4-client"] {
      try FileManager.default.createSymbolicLink(
        atPath: directory.appendingPathComponent(program).path,
        withDestinationPath: Grader.productsDirectory + "/" + program)
    }
    return directory
  }

  @Test("the prototype passes every check, and each step is reported as it runs")
  func passes() async throws {
    let directory = try productsFolder()
    defer { try? FileManager.default.removeItem(at: directory) }
    let (result, progress) = try await grade(directory)
    #expect(
      result.awardedMarks == 10, "\(MarksTable.render(GradeReport(subject: "", tasks: [result])))")
    #expect(progress.contains { $0.hasPrefix("task 4: starting the restarted old primary: ") })
    #expect(
      progress.contains(
        "task 4: killing the primary mid-stream: SIGKILL to its process "
          + "group (kill -9)"))
    #expect(progress.contains("task 4: pass 4.3 the primary killed mid-stream (3/3)"))
    #expect(progress.last == "task 4: 10/10")
  }

  @Test("a fault costs exactly the checks it breaks", arguments: faults)
  func faultCosts(fault: Fault) async throws {
    let directory = try productsFolder()
    defer { try? FileManager.default.removeItem(at: directory) }
    let wrapper = directory.appendingPathComponent(fault.program)
    try FileManager.default.removeItem(at: wrapper)
    let real = ShellQuoting.quote(Grader.productsDirectory + "/" + fault.program)
    try "#!/bin/sh\nreal=\(real)\n\(fault.script)\n".write(
      to: wrapper, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)

    let (result, _) = try await grade(directory)
    let lost = result.checks.filter { !$0.outcome.isPassed }
    #expect(
      Set(lost.map(\.definition.identifier)) == fault.lost,
      "\(MarksTable.render(GradeReport(subject: fault.name, tasks: [result])))")
    #expect(result.awardedMarks == 10 - lost.reduce(0) { $0 + $1.definition.marks })
    #expect(result.graderProblem == nil)
    for check in lost {
      guard case .failed(_, let seen) = check.outcome else {
        Issue.record("\(check.definition.identifier) was not judged")
        continue
      }
      #expect(!seen.isEmpty)
    }
  }

  @Test("without the programs, 4.1 to 4.4 are not judged and the document is still read")
  func missingPrototype() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let document = directory.appendingPathComponent("DESIGN.md")
    try DocumentCheckTests.complete.write(to: document, atomically: true, encoding: .utf8)
    let result = Task4Checks.gradeProject(
      productsDirectory: directory.path, designDocument: document.path)
    let reason =
      "task4 prototype not present (no task4-broker or task4-client in \(directory.path))"
    #expect(result.note == reason)
    #expect(result.checks.dropLast().allSatisfy { $0.outcome == .notJudged(reason: reason) })
    #expect(result.checks.last?.outcome == .passed && result.awardedMarks == 1)
  }
}

/// The progress lines of a grading run, which reports from its own thread.
private final class ProgressLines: @unchecked Sendable {
  /// Guards `lines`.
  private let lock = NSLock()
  private var lines: [String] = []

  func append(_ line: String) {
    lock.withLock { lines.append(line) }
  }

  var all: [String] { lock.withLock { lines } }
}

@Suite("The design document check (4.5)")
struct DesignDocumentCheckTests {
  /// Judges a document written as `text`, next to the files named in `images`.
  private func judge(_ text: String, images: [String] = []) throws -> CheckOutcome {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    for image in images {
      try "<svg/>".write(
        to: directory.appendingPathComponent(image), atomically: true, encoding: .utf8)
    }
    let document = directory.appendingPathComponent("README.md")
    try text.write(to: document, atomically: true, encoding: .utf8)
    return Task4Checks.judgeDesignDocument(at: document.path)
  }

  private static let topics =
    "A single point of failure; replication to a backup; failover; load balancing by topic."

  @Test("a document with a diagram that is there, covering the four ideas, passes")
  func passes() throws {
    #expect(try judge(Self.topics + "\n![pair](pair.svg)\n", images: ["pair.svg"]) == .passed)
    #expect(try judge(DocumentCheckTests.complete) == .passed)
  }

  @Test("each gap is named: a missing image, no diagram, a topic not covered, no document")
  func namesGaps() throws {
    let missingImage = try judge(Self.topics + "\n![pair](pair.svg)\n")
    #expect(seen(missingImage) == "the images it shows are not there: pair.svg")
    let noDiagram = try judge(Self.topics)
    #expect(seen(noDiagram) == "no diagram")
    let twoTopics = try judge("Replication and failover.\n```mermaid\ngraph LR\n```")
    #expect(seen(twoTopics) == "no mention of single point of failure and load balancing")
    let nothing = Task4Checks.judgeDesignDocument(at: "/nonexistent/README.md")
    #expect(seen(nothing) == "nothing at /nonexistent/README.md")
  }

  @Test("this project's design document is found from the source tree")
  func projectDocument() {
    #expect(Task4Checks.designDocumentPath.hasSuffix("/Task4Architecture/README.md"))
    #expect(FileManager.default.fileExists(atPath: Task4Checks.designDocumentPath))
  }

  private func seen(_ outcome: CheckOutcome) -> String? {
    guard case .failed(_, let seen) = outcome else { return nil }
    return seen
  }
}
