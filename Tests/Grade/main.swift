// grade: runs the graded checks and prints the marks table.
// Parses the arguments, runs the `Grader` from the Grading library and writes the reports.

import Foundation
import Grading
import Task1Echo

let program = CommandLineProgram(name: "grade", usage: GradeOptions.usage)

let options: GradeOptions
do {
  options = try GradeOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
  program.exitWithUsageError(error.message)
}
if options.showsHelp { program.exitShowingHelp() }

ignoreBrokenPipeSignal()
// Ctrl-C must not leave submissions running: end every process group the grader started.
ShutdownSignals.install { signalNumber in
  LiveProcessGroups.shared.killAll()
  program.exit(128 + signalNumber)
}

let grader =
  options.showsProgress
  ? Grader(progress: { Console.standardError.writeLine("grade: \($0)") }) : Grader()
let report: GradeReport
switch options.subject {
case .project:
  report = grader.gradeProject(
    productsDirectory: Grader.productsDirectory, tasks: options.tasks)
case .commands(let commands):
  report = grader.grade(task: options.tasks[0], commands: commands)
case .document(let path):
  report = grader.gradeDocument(at: path)
case .manifest(let path):
  let manifest: Manifest
  do {
    manifest = try Manifest.load(contentsOf: path)
  } catch {
    program.exit(failing: error.description, status: .usage)
  }
  report = grader.grade(manifest, tasks: options.tasks)
}

Console.standardOutput.writeLine(
  options.printsJSON ? JSONReport.render(report) : MarksTable.render(report))
if let junitPath = options.junitPath {
  do {
    try JUnitReport.render(report).write(toFile: junitPath, atomically: true, encoding: .utf8)
  } catch {
    program.exit(failing: "cannot write \(junitPath): \(error.localizedDescription)")
  }
}
program.exit(report.isFullMarks ? ExitStatus.success.rawValue : ExitStatus.failure.rawValue)
