import Grading
import Testing

/// The graded checks against this project's own executables: what `swift run grade` prints,
/// as part of `swift test`.
@Suite("This project's grade", .timeLimit(.minutes(2)))
struct ProjectGradeTests {
  @Test(
    "full marks for each task whose executables are built",
    arguments: [1, 2, 3].filter(Fixtures.hasProjectExecutables))
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
    #expect(report.awardedMarks == 0 && report.maximumMarks == 40)
    let task2 = try #require(report.task(2))
    #expect(task2.note?.contains("task2 executables not present") == true)
    #expect(task2.checks.allSatisfy { $0.outcome == .notJudged(reason: task2.note!) })
    #expect(report.task(4)?.note?.hasPrefix("task4 prototype not present") == true)
  }
}
