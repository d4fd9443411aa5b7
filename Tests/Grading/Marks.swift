/// One graded check: what it is called, what it is worth and what it verifies.
///
/// The definitions are fixed data, listed per task (`Task1Checks.definitions` and so on), so
/// the marks table, the README and the tests all read the same numbers.
public struct CheckDefinition: Sendable, Equatable, Hashable {
  /// A stable identifier such as `2.4`, used in reports and by the tests.
  public let identifier: String
  /// A short name, such as "no publisher receives messages".
  public let title: String
  /// The marks the check is worth.
  public let marks: Int
  /// What the check does and what it requires, in a sentence a student can act on.
  public let verifies: String

  /// Creates a definition.
  public init(_ identifier: String, _ title: String, marks: Int, verifies: String) {
    self.identifier = identifier
    self.title = title
    self.marks = marks
    self.verifies = verifies
  }
}

/// The result of one check.
public enum CheckOutcome: Sendable, Equatable {
  /// The check passed: its full marks are awarded.
  case passed
  /// The submission did not do what the check requires.
  case failed(expected: String, seen: String)
  /// The check could not be judged, because something it depends on failed first (the
  /// server never started, or a message it needs was never delivered). It scores 0, and the
  /// reason names what failed.
  case notJudged(reason: String)

  /// Whether the check passed.
  public var isPassed: Bool { self == .passed }
}

/// A check and its outcome.
public struct CheckResult: Sendable, Equatable {
  /// The check.
  public let definition: CheckDefinition
  /// What happened.
  public let outcome: CheckOutcome

  /// Creates a result.
  public init(_ definition: CheckDefinition, _ outcome: CheckOutcome) {
    self.definition = definition
    self.outcome = outcome
  }

  /// The marks awarded: all of them or none.
  public var awardedMarks: Int { outcome.isPassed ? definition.marks : 0 }
}

/// The marks of one task.
public struct TaskResult: Sendable, Equatable {
  /// The task number, 1 to 4.
  public let task: Int
  /// The task's name, such as "Task 2: publishers and subscribers".
  public let title: String
  /// Every check of the task, in order.
  public let checks: [CheckResult]
  /// Marks that a human marker awards (Task 4's document for external submissions); they are
  /// part of `maximumMarks` but never of `awardedMarks`.
  public let markerMarks: Int
  /// The human marker's rubric for `markerMarks`, one line per item.
  public let markerRubric: [String]
  /// A sentence about the task as a whole, such as why nothing could be checked.
  public let note: String?
  /// Set when the grader cannot tell whether a failure is the submission's or its own (a
  /// port collision, a command that could not be started): the marker should look.
  public let graderProblem: String?

  /// Creates a task result.
  public init(
    task: Int, title: String, checks: [CheckResult], markerMarks: Int = 0,
    markerRubric: [String] = [], note: String? = nil, graderProblem: String? = nil
  ) {
    self.task = task
    self.title = title
    self.checks = checks
    self.markerMarks = markerMarks
    self.markerRubric = markerRubric
    self.note = note
    self.graderProblem = graderProblem
  }

  /// The marks awarded automatically.
  public var awardedMarks: Int { checks.reduce(0) { $0 + $1.awardedMarks } }
  /// The marks the automatic checks are worth.
  public var automaticMarks: Int { checks.reduce(0) { $0 + $1.definition.marks } }
  /// The task's full marks, the human marker's share included.
  public var maximumMarks: Int { automaticMarks + markerMarks }
  /// Whether every automatic check passed.
  public var isFullMarks: Bool { checks.allSatisfy { $0.outcome.isPassed } }
}

/// The whole grade: every task graded in one run.
public struct GradeReport: Sendable, Equatable {
  /// What was graded, such as "this project's executables in /work/.build/debug".
  public let subject: String
  /// The graded tasks, in task order.
  public let tasks: [TaskResult]

  /// Creates a report.
  public init(subject: String, tasks: [TaskResult]) {
    self.subject = subject
    self.tasks = tasks.sorted { $0.task < $1.task }
  }

  /// The marks awarded automatically.
  public var awardedMarks: Int { tasks.reduce(0) { $0 + $1.awardedMarks } }
  /// The full marks of the graded tasks.
  public var maximumMarks: Int { tasks.reduce(0) { $0 + $1.maximumMarks } }
  /// The marks left to the human marker.
  public var markerMarks: Int { tasks.reduce(0) { $0 + $1.markerMarks } }
  /// Whether every automatic check of every graded task passed: the `grade` command exits 0
  /// exactly then.
  public var isFullMarks: Bool { tasks.allSatisfy(\.isFullMarks) }

  /// Returns the result of task `number`, if it was graded.
  public func task(_ number: Int) -> TaskResult? {
    tasks.first { $0.task == number }
  }
}
