import Foundation
import Task1Echo

/// Runs the graded checks against a submission and puts the marks together.
///
/// What is graded is given three ways, as the `grade` command offers them: this project's
/// own executables, one task's server and client commands, or a manifest describing a whole
/// submission. Tasks 1 to 3 of one grading run concurrently (each on its own free port);
/// within a task the checks run in order.
public struct Grader: Sendable {
  /// How fast to type and how long to wait.
  public let pacing: Pacing
  /// Receives a line for every step and every check's verdict.
  public let progress: ProgressHandler

  /// Creates a grader.
  public init(pacing: Pacing = .person, progress: @escaping ProgressHandler = { _ in }) {
    self.pacing = pacing
    self.progress = progress
  }

  /// The folder holding the running program, where `swift build` also puts this project's
  /// other executables (`task1-server` and so on).
  public static let productsDirectory: String = {
    let program =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: program).deletingLastPathComponent().standardizedFileURL.path
  }()

  /// The full marks of each task.
  public static let maximumMarks = [1: 20, 2: 30, 3: 40, 4: 10]

  // MARK: - What to grade

  /// Grades this project's executables, found in `directory`, for `tasks`.
  public func gradeProject(productsDirectory directory: String, tasks: [Int] = [1, 2, 3, 4])
    -> GradeReport
  {
    let results = concurrently(
      tasks.map { task in
        {
          if task == 4 {
            return Task4Checks.gradeProject(
              productsDirectory: directory, pacing: pacing, progress: progress)
          }
          let missing = ["server", "client"].map { "task\(task)-\($0)" }.filter {
            !FileManager.default.isExecutableFile(atPath: directory + "/" + $0)
          }
          guard missing.isEmpty else {
            return Self.unavailable(
              task: task,
              reason:
                "task\(task) executables not present (no \(missing.joined(separator: " or ")) "
                + "in \(directory))")
          }
          return gradeTask(task, TaskCommands.project(task: task, productsDirectory: directory))
        }
      })
    return GradeReport(subject: "this project's executables in \(directory)", tasks: results)
  }

  /// Grades task `task` (1 to 3) of the implementation that `commands` start.
  public func grade(task: Int, commands: TaskCommands) -> GradeReport {
    GradeReport(
      subject: "task \(task): server '\(commands.server)', client '\(commands.client)'",
      tasks: [gradeTask(task, commands)])
  }

  /// Grades a Task 4 document (the automatic part; the rest is the marker's rubric).
  public func gradeDocument(at path: String) -> GradeReport {
    GradeReport(
      subject: "the Task 4 document \(path)", tasks: [Task4Checks.gradeDocument(at: path)])
  }

  /// Grades `tasks` of the submission that `manifest` describes, building it first if it
  /// says how.
  public func grade(_ manifest: Manifest, tasks: [Int] = [1, 2, 3, 4]) -> GradeReport {
    let subject = (manifest.name.map { "\($0) " } ?? "") + "(\(manifest.directory))"
    let buildFailure = manifest.build.flatMap { build in
      tasks.contains { $0 != 4 } ? runBuild(build, in: manifest.directory) : nil
    }
    let results = concurrently(
      tasks.map { task in
        {
          if task == 4 {
            guard let document = manifest.document else {
              return Self.unavailable(
                task: 4, reason: "the manifest names no Task 4 document (\"task4\")",
                definitions: Task4Checks.documentDefinitions,
                markerMarks: Task4Checks.markerMarks)
            }
            return Task4Checks.gradeDocument(at: document)
          }
          if let buildFailure { return Self.unavailable(task: task, reason: buildFailure) }
          guard let commands = manifest.commands[task] else {
            return Self.unavailable(
              task: task, reason: "the manifest has no \"task\(task)\" entry")
          }
          return gradeTask(task, commands)
        }
      })
    return GradeReport(subject: subject, tasks: results)
  }

  /// Grades one of tasks 1 to 3 of the implementation that `commands` start.
  public func gradeTask(_ task: Int, _ commands: TaskCommands) -> TaskResult {
    let (title, definitions, run) = Self.checks(for: task)
    Self.scenarioSlots.wait()
    defer { Self.scenarioSlots.signal() }
    let scenario = Scenario(
      task: task, commands: commands, definitions: definitions, pacing: pacing,
      progress: progress)
    run(scenario)
    scenario.stopAll()
    let result = scenario.result(title: title)
    progress("task \(task): \(result.awardedMarks)/\(result.maximumMarks)")
    return result
  }

  /// Runs `body` on a thread of its own and returns its result to an async caller, so that
  /// grading (which blocks, waiting on processes) never holds a Swift concurrency thread.
  public static func onThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async
    -> Result
  {
    await withCheckedContinuation { continuation in
      Thread { continuation.resume(returning: body()) }.start()
    }
  }

  // MARK: - Helpers

  /// How many task runs may go on at once in this process. Each starts up to ten programs;
  /// more at once than the machine can run makes deliveries slow enough to miss deadlines.
  private static let scenarioSlots = DispatchSemaphore(
    value: max(3, 2 * ProcessInfo.processInfo.activeProcessorCount))

  private static func checks(for task: Int) -> (String, [CheckDefinition], (Scenario) -> Void) {
    switch task {
    case 1: return (Task1Checks.title, Task1Checks.definitions, Task1Checks.run)
    case 2: return (Task2Checks.title, Task2Checks.definitions, Task2Checks.run)
    case 3: return (Task3Checks.title, Task3Checks.definitions, Task3Checks.run)
    default: preconditionFailure("tasks 1 to 3 have program checks; task \(task) does not")
    }
  }

  /// A task that could not be graded at all: every check scores 0 for `reason`.
  static func unavailable(
    task: Int, reason: String, definitions: [CheckDefinition]? = nil, markerMarks: Int = 0
  ) -> TaskResult {
    let title: String
    let checks: [CheckDefinition]
    switch task {
    case 1: (title, checks) = (Task1Checks.title, Task1Checks.definitions)
    case 2: (title, checks) = (Task2Checks.title, Task2Checks.definitions)
    case 3: (title, checks) = (Task3Checks.title, Task3Checks.definitions)
    default: (title, checks) = (Task4Checks.title, definitions ?? Task4Checks.projectDefinitions)
    }
    return TaskResult(
      task: task, title: title,
      checks: checks.map { CheckResult($0, .notJudged(reason: reason)) },
      markerMarks: markerMarks,
      markerRubric: markerMarks > 0 ? Task4Checks.markerRubric : [], note: reason)
  }

  /// Runs a submission's build command; returns why it failed, or `nil`.
  private func runBuild(_ command: String, in directory: String) -> String? {
    progress("build: \(command)")
    let build: TerminalProcess
    do {
      build = try TerminalProcess(command: command, directory: directory, label: "build")
    } catch {
      return "the grader could not run the build command: \(error)"
    }
    defer { build.stop() }
    guard let status = build.waitForExit(before: Deadline(after: .seconds(600))) else {
      return "the build command did not finish within 10 minutes"
    }
    guard status == 0 else {
      return "the build command failed with status \(status); its last lines: \(build.lastLines(6))"
    }
    progress("build: done")
    return nil
  }

  /// Runs `jobs` on threads of their own and returns their results in order.
  private func concurrently(_ jobs: [@Sendable () -> TaskResult]) -> [TaskResult] {
    let results = Guarded<[Int: TaskResult]>([:])
    let group = DispatchGroup()
    for (index, job) in jobs.enumerated() {
      group.enter()
      Thread {
        let result = job()
        results.withLock { $0[index] = result }
        group.leave()
      }.start()
    }
    group.wait()
    let finished = results.value
    return jobs.indices.compactMap { finished[$0] }
  }
}
