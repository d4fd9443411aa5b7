// transcripts: runs the workbook's programs in scripted scenarios and keeps the transcripts
// in the README files true to them. Parses the arguments and hands over to
// `TranscriptRefresher`; the scenarios are listed in Scenarios.swift.

import Foundation
import Task1Echo

let program = CommandLineProgram(
  name: "transcripts",
  usage: """
    usage: transcripts [--check]
      Runs every scenario with the built programs and rewrites the transcript blocks
      (<!-- transcript: NAME --> ... <!-- /transcript -->) in the README files to match.
      --check  Rewrite nothing; print a diff and exit 1 if any block differs.
    """)

let arguments = program.arguments()
let isChecking = arguments == ["--check"]
if !arguments.isEmpty && !isChecking {
  program.exitWithUsageError("unexpected arguments: \(arguments.joined(separator: " "))")
}

ignoreBrokenPipeSignal()
do {
  let root = try TranscriptRefresher.findRoot(
    from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
  let refresher = TranscriptRefresher(
    root: root, output: .standardOutput, notes: .standardError)
  let isUpToDate = try refresher.refresh(scenarios, isChecking: isChecking)
  program.exit(isChecking && !isUpToDate ? ExitStatus.failure.rawValue : 0)
} catch {
  program.exit(failing: "\(error)")
}
