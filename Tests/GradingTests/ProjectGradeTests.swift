import Grading
import Testing

/// The graded checks against this project's own executables: what `swift run grade` prints,
/// as part of `swift test`.
@Suite("This project's grade", .timeLimit(.minutes(2)))
struct ProjectGradeTests {
  @Test(
    "full marks for each task whose executables are built",
    arguments: [1, 2, 3, 4].filter(Fixtures.hasProjectExecutables))
  func fullMarks(task: Int) async {
    let report = await Grader.onThread {
      Grader().gradeProject(productsDirectory: Grader.productsDirectory, tasks: [task])
    }
    #expect(report.awardedMarks == Grader.maximumMarks[task], "\(MarksTable.render(report))")
  }

  @Test("a task whose executables are missing scores 0 with the reason, without a crash")
  func missingExecutables() async throws {
    let report = await Grader.onThread {
      Grader().gradeProject(productsDirectory: "/nonexistent", tasks: [2, 4])
    }
    #expect(report.maximumMarks == 40)
    let task2 = try #require(report.task(2))
    #expect(task2.note?.contains("task2 executables not present") == true)
    #expect(task2.checks.allSatisfy { $0.outcome == .notJudged(reason: task2.note!) })
    // The prototype's checks are not judged; the design document, in the source tree, is.
    let task4 = try #require(report.task(4))
    #expect(task4.note?.hasPrefix("task4 prototype not present") == true)
    #expect(task4.checks.dropLast().allSatisfy { $0.outcome == .notJudged(reason: task4.note!) })
    let document = try #require(task4.checks.last)
    #expect(document.definition.identifier == "4.5")
    if case .notJudged = document.outcome { Issue.record("the design document was not judged") }
  }
}
