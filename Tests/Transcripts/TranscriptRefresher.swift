import Foundation
import Task1Echo

/// Runs the scenarios and brings the README transcript blocks in line with what the programs
/// did: rewriting them, or, in check mode, reporting how they differ.
struct TranscriptRefresher {
  /// The repository root: the folder holding `Package.swift`.
  let root: URL
  /// Where progress, the diff and the verdict go.
  let output: Console
  /// Where notes that do not change the verdict go.
  let notes: Console

  /// Finds the repository root by walking up from the current directory, as `swift run` does
  /// to find the package.
  static func findRoot(from start: URL) throws -> URL {
    var directory = start.standardizedFileURL
    while true {
      if FileManager.default.fileExists(
        atPath: directory.appendingPathComponent("Package.swift").path)
      {
        return directory
      }
      let parent = directory.deletingLastPathComponent()
      if parent.path == directory.path {
        throw ScenarioFailure("no Package.swift in \(start.path) or above; run inside the package")
      }
      directory = parent
    }
  }

  /// Runs `scenarios` and updates or checks every README under `root`.
  ///
  /// - Parameter isChecking: Report drift instead of rewriting files.
  /// - Returns: Whether every block already matched (in check mode, the verdict).
  /// - Throws: `ScenarioFailure` when a scenario fails or a README is malformed or names a
  ///   transcript no scenario makes.
  func refresh(_ scenarios: [Scenario], isChecking: Bool) throws -> Bool {
    let documents = try TranscriptDocument.findAll(under: root)
    var transcripts: [String: String] = [:]
    for scenario in scenarios {
      let made = try scenario.run()
      for (name, text) in made { transcripts[name] = text }
      let terminals = made.map { $0.name.dropFirst(scenario.name.count + 1) }
      output.writeLine("ran \(scenario.name): \(terminals.joined(separator: ", "))")
    }
    let shown = Set(documents.flatMap { $0.blocks.map(\.name) })
    for name in transcripts.keys.sorted() where !shown.contains(name) {
      notes.writeLine("note: no README shows transcript \(name)")
    }

    var isUpToDate = true
    for document in documents where !document.blocks.isEmpty {
      let fresh = try document.rendered(with: transcripts)
      let diff = LineDiff(old: document.lines, new: fresh)
      if diff.isEmpty { continue }
      isUpToDate = false
      if isChecking {
        output.writeLine(
          diff.unified(
            oldName: "\(document.displayPath) (as written)",
            newName: "\(document.displayPath) (as the programs run now)"))
      } else {
        try document.write(fresh)
        output.writeLine("updated \(document.displayPath)")
      }
    }
    let blockCount = documents.map(\.blocks.count).reduce(0, +)
    if isUpToDate {
      output.writeLine("all \(blockCount) transcript blocks match the programs")
    } else if isChecking {
      output.writeLine(
        "transcripts have drifted from the programs (diff above); "
          + "`swift run transcripts` rewrites them")
    }
    return isUpToDate
  }
}
