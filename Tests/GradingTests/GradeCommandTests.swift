import Foundation
import FoundationXML
import Grading
import Testing

/// The `grade` executable itself: its arguments, outputs and exit status.
@Suite("The grade command", .timeLimit(.minutes(1)))
struct GradeCommandTests {
  private static let grade = ShellQuoting.quote(Grader.productsDirectory + "/grade")

  /// Runs `grade` with `arguments` and returns its exit status and output.
  private func run(_ arguments: String) async throws -> (status: Int32?, output: String) {
    let process = try TerminalProcess(command: "\(Self.grade) \(arguments)", label: "grade")
    return await Grader.onThread {
      (process.waitForExit(before: Deadline(after: .seconds(50))), process.output)
    }
  }

  @Test(
    "grades one task of another implementation, prints JSON, writes JUnit, exits 0 at full marks",
    .enabled(if: Fixtures.hasPython, "python3 is not installed"))
  func gradesATask() async throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let junit = directory.appendingPathComponent("grade.xml").path
    let samples = Fixtures.samplesDirectory + "/submission/task1"
    let (status, output) = try await run(
      "--task 1 --server 'python3 server.py {port}' --client 'python3 client.py {host} {port}' "
        + "--directory \(ShellQuoting.quote(samples)) --json --quiet --junit \(junit)")
    #expect(status == 0, "\(output)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    #expect(json["awarded"] as? Int == 20 && json["maximum"] as? Int == 20)
    let document = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
    #expect(try document.nodes(forXPath: "//testcase").count == 5)
    #expect(try document.nodes(forXPath: "//failure").isEmpty)
  }

  @Test("exits 1 when marks are lost, and says what was expected and seen")
  func lostMarks() async throws {
    let (status, output) = try await run("--quiet --task 1 --server 'true {port}' --client 'true'")
    #expect(status == 1)
    #expect(output.contains("FAIL  1.1  listens on the given port"))
    #expect(output.contains("seen:     it exited with status 0"))
    #expect(output.contains("Total"))
  }

  @Test("exits 2 with a message for a bad command line or manifest")
  func usageErrors() async throws {
    let (status, output) = try await run("--task 7")
    #expect(status == 2 && output.contains("--task must be 1, 2, 3 or 4"))
    let (manifestStatus, manifestOutput) = try await run("--manifest /nonexistent/grade.json")
    #expect(manifestStatus == 2 && manifestOutput.contains("bad manifest: cannot read"))
  }
}
