import Foundation
import FoundationXML
import Grading
import Testing

@Suite("Marks and reports")
struct MarksTests {
  @Test("each task's checks add up to the course's marks")
  func marksAddUp() {
    #expect(Task1Checks.definitions.reduce(0) { $0 + $1.marks } == 20)
    #expect(Task2Checks.definitions.reduce(0) { $0 + $1.marks } == 30)
    #expect(Task3Checks.definitions.reduce(0) { $0 + $1.marks } == 40)
    #expect(Task4Checks.projectDefinitions.reduce(0) { $0 + $1.marks } == 10)
    #expect(
      Task4Checks.documentDefinitions.reduce(0) { $0 + $1.marks } + Task4Checks.markerMarks == 10)
    #expect(Task4Checks.markerRubric.count == Task4Checks.markerMarks)
  }

  @Test("check identifiers are unique and numbered in order")
  func identifiers() {
    let lists = [
      (1, Task1Checks.definitions), (2, Task2Checks.definitions), (3, Task3Checks.definitions),
      (4, Task4Checks.projectDefinitions), (4, Task4Checks.documentDefinitions),
    ]
    for (task, definitions) in lists {
      #expect(definitions.map(\.identifier) == definitions.indices.map { "\(task).\($0 + 1)" })
    }
  }

  @Test("Tests/README.md lists every check with its name and marks")
  func readmeMatchesChecks() throws {
    let readme = try String(
      contentsOfFile: Fixtures.samplesDirectory + "/../README.md", encoding: .utf8)
    // Rows such as `| 2.4 | no publisher receives messages | 5 | ... |`.
    let rows = readme.split(separator: "\n").compactMap { line -> [String]? in
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count >= 3, cells[0].contains("."), Int(cells[2]) != nil,
        cells[0].split(separator: ".").allSatisfy({ Int($0) != nil })
      else { return nil }
      return Array(cells.prefix(3))
    }
    let definitions =
      Task1Checks.definitions + Task2Checks.definitions + Task3Checks.definitions
      + Task4Checks.projectDefinitions + Task4Checks.documentDefinitions
    #expect(rows == definitions.map { [$0.identifier, $0.title, String($0.marks)] })
  }

  /// A report with every kind of outcome, and text that needs escaping.
  static let report = GradeReport(
    subject: "a <test> & \"report\"",
    tasks: [
      TaskResult(
        task: 2, title: Task2Checks.title,
        checks: [
          CheckResult(Task2Checks.definitions[0], .passed),
          CheckResult(
            Task2Checks.definitions[1],
            .failed(
              expected: "\"apples\" on subscriber 1",
              seen: "subscriber 1 showed <nothing>\nand then left\u{1B}")),
          CheckResult(Task2Checks.definitions[3], .notJudged(reason: "2.2 failed")),
        ], graderProblem: "a port collision"),
      Task4Checks.gradeDocument(at: "/nonexistent/ARCHITECTURE.md"),
    ])

  @Test("totals count passed checks only, and the marker's marks separately")
  func totals() {
    let report = Self.report
    #expect(report.awardedMarks == 2)
    #expect(report.maximumMarks == 2 + 7 + 5 + 10)
    #expect(report.markerMarks == 4)
    #expect(!report.isFullMarks)
  }

  @Test("the table shows each verdict, expected and seen, and stays within 100 columns")
  func table() {
    let table = MarksTable.render(Self.report)
    #expect(table.contains("pass  2.1"))
    #expect(table.contains("FAIL  2.2"))
    #expect(table.contains("expected: \"apples\" on subscriber 1"))
    #expect(table.contains("seen:     subscriber 1 showed <nothing>"))
    #expect(table.contains("----  2.4") && table.contains("not judged: 2.2 failed"))
    #expect(table.contains("the grader may be at fault"))
    #expect(table.contains("For the human marker (4 marks"))
    #expect(table.hasSuffix("(4 of the 24 marks are the human marker's; the rest are automatic)"))
    let longest = table.split(separator: "\n").map(\.count).max() ?? 0
    #expect(longest <= 100)
  }

  @Test("the JSON report has every check's marks and status")
  func json() throws {
    let data = Data(JSONReport.render(Self.report).utf8)
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(root["awarded"] as? Int == 2 && root["maximum"] as? Int == 24)
    let tasks = try #require(root["tasks"] as? [[String: Any]])
    let checks = try #require(tasks.first?["checks"] as? [[String: Any]])
    #expect(checks.map { $0["status"] as? String } == ["passed", "failed", "not judged"])
    #expect(checks[1]["expected"] as? String == "\"apples\" on subscriber 1")
    #expect(checks[2]["reason"] as? String == "2.2 failed")
    #expect(tasks.first?["graderProblem"] as? String == "a port collision")
  }

  @Test("the JUnit report is well-formed XML with one failure per lost check")
  func junit() throws {
    let document = try XMLDocument(xmlString: JUnitReport.render(Self.report))
    let root = try #require(document.rootElement())
    #expect(root.attribute(forName: "tests")?.stringValue == "9")
    #expect(root.attribute(forName: "failures")?.stringValue == "8")
    let failures = try root.nodes(forXPath: "//failure")
    #expect(failures.count == 8)
    #expect(failures.first?.stringValue?.contains("seen: subscriber 1 showed <nothing>") == true)
  }
}
