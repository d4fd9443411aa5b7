import Grading
import Testing

/// The proof that the grader judges right: sample submissions under `Tests/Samples`, one
/// correct and several with one deliberate fault each, graded through their manifests
/// exactly as `grade --manifest` grades a student's.
///
/// Each sample states which checks its fault breaks; the test asserts that exactly those
/// lose marks, in every task, and nothing else.
@Suite(
  "Sample submissions score as designed", .timeLimit(.minutes(3)),
  .enabled(if: Fixtures.hasPython, "python3 is not installed; the samples are Python programs"))
struct SampleSubmissionTests {
  /// A sample submission and the checks its fault should cost.
  struct Sample: Sendable, CustomTestStringConvertible {
    /// The manifest's name in `Tests/Samples`, which is also the fault's name.
    let name: String
    /// The checks that fail or cannot be judged because of the fault.
    let lost: Set<String>
    /// Those of `lost` that are not judged (because something they need failed) rather than
    /// failed.
    let notJudged: Set<String>

    init(_ name: String, lost: Set<String> = [], notJudged: Set<String> = []) {
      self.name = name
      self.lost = lost
      self.notJudged = notJudged
    }

    var testDescription: String { name }
  }

  static let samples = [
    // Correct, in an output format of its own, with colours and prompts.
    Sample("correct"),
    // Correct, but its output is block-buffered into a pipe: the terminal makes it visible.
    Sample("block-buffered"),
    Sample("publishers-receive", lost: ["2.4", "3.7"]),
    Sample("topics-ignored", lost: ["3.4", "3.5"]),
    Sample("prefix-topics", lost: ["3.5"]),
    Sample("terminate-ignored", lost: ["1.3", "1.4", "2.8", "3.9"], notJudged: ["1.4"]),
    // Only subscriber 1, connected first, is served; the clients' own `terminate` still
    // works, and what needs a delivery to judge is not judged.
    Sample(
      "one-client-at-a-time", lost: ["2.2", "2.3", "2.4", "2.5", "2.7", "2.9"],
      notJudged: ["2.4", "2.7"]),
  ]

  @Test("loses exactly the marks of the checks its fault breaks", arguments: samples)
  func scoresAsDesigned(sample: Sample) async throws {
    let manifest = try Manifest.load(contentsOf: Fixtures.sampleManifest(sample.name))
    let report = await Grader.onThread { Grader().grade(manifest) }
    for task in 1...3 {
      let result = try #require(report.task(task))
      let lost = result.checks.filter { !$0.outcome.isPassed }
      let expectedLost = result.checks.filter { sample.lost.contains($0.definition.identifier) }
      #expect(
        Set(lost.map(\.definition.identifier)) == Set(expectedLost.map(\.definition.identifier)),
        "task \(task):\n\(MarksTable.render(GradeReport(subject: sample.name, tasks: [result])))")
      let notJudged = lost.filter {
        if case .notJudged = $0.outcome { return true } else { return false }
      }
      #expect(
        Set(notJudged.map(\.definition.identifier))
          == sample.notJudged.filter { $0.hasPrefix("\(task).") })
      let lostMarks = expectedLost.reduce(0) { $0 + $1.definition.marks }
      #expect(result.awardedMarks == Grader.maximumMarks[task]! - lostMarks)
      #expect(result.graderProblem == nil)
    }
    #expect(report.task(4)?.awardedMarks == 6)
    #expect(report.isFullMarks == sample.lost.isEmpty)
  }

  @Test("the correct sample gets full marks for tasks 1 to 3")
  func correctSampleFullMarks() async throws {
    let manifest = try Manifest.load(contentsOf: Fixtures.sampleManifest("correct"))
    let report = await Grader.onThread { Grader().grade(manifest, tasks: [1, 2, 3]) }
    #expect(report.tasks.map(\.awardedMarks) == [20, 30, 40])
    #expect(report.awardedMarks == 90 && report.isFullMarks)
  }
}
