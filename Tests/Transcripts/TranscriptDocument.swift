import Foundation

/// A Markdown file holding transcript blocks, which it can render with fresh transcripts.
///
/// A block is everything between an opening and a closing marker line, each on a line of its
/// own; the tool owns what lies between them and rewrites it as a fenced `text` block:
///
///     <!-- transcript: task1-basic/server -->
///     ```text
///     $ swift run task1-server
///     ...
///     ```
///     <!-- /transcript -->
struct TranscriptDocument {
  /// One block: the transcript it shows and where its markers are (0-based line indexes).
  struct Block {
    let name: String
    let openingLine: Int
    let closingLine: Int
  }

  /// The file.
  let url: URL
  /// The path shown in messages, relative to the repository root.
  let displayPath: String
  /// The file's lines as they are now, without their newlines.
  let lines: [String]
  /// The blocks, in file order.
  let blocks: [Block]

  private static let closingMarker = "<!-- /transcript -->"

  /// Reads and parses `url`.
  ///
  /// - Throws: `ScenarioFailure` for a block without its closing marker, a closing marker
  ///   without a block, or a marker line that names no transcript.
  init(url: URL, displayPath: String) throws {
    self.url = url
    self.displayPath = displayPath
    let text = try String(contentsOf: url, encoding: .utf8)
    lines = text.components(separatedBy: "\n")
    var blocks: [Block] = []
    var open: (name: String, line: Int)?
    let openingMarker = /<!-- transcript: ([A-Za-z0-9._\/-]+) -->/
    for (index, line) in lines.enumerated() {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      let location = "\(displayPath):\(index + 1)"
      if let match = trimmed.wholeMatch(of: openingMarker) {
        if let open {
          throw ScenarioFailure("\(location): block \(open.name) is not closed before this one")
        }
        open = (String(match.output.1), index)
      } else if trimmed == Self.closingMarker {
        guard let opened = open else {
          throw ScenarioFailure("\(location): \(Self.closingMarker) closes no block")
        }
        blocks.append(Block(name: opened.name, openingLine: opened.line, closingLine: index))
        open = nil
      } else if trimmed.hasPrefix("<!-- transcript") {
        throw ScenarioFailure(
          "\(location): malformed marker; expected <!-- transcript: scenario/terminal -->")
      }
    }
    if let open {
      throw ScenarioFailure(
        "\(displayPath):\(open.line + 1): block \(open.name) has no \(Self.closingMarker)")
    }
    self.blocks = blocks
  }

  /// Finds every `README.md` under `root`, skipping hidden folders (`.build`, `.git`).
  static func findAll(under root: URL) throws -> [TranscriptDocument] {
    guard
      let enumerator = FileManager.default.enumerator(
        at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
    else { throw ScenarioFailure("cannot list the files under \(root.path)") }
    var documents: [TranscriptDocument] = []
    let rootPath = root.standardizedFileURL.path + "/"
    for case let url as URL in enumerator where url.lastPathComponent == "README.md" {
      let path = url.standardizedFileURL.path
      let relative = path.hasPrefix(rootPath) ? String(path.dropFirst(rootPath.count)) : path
      documents.append(try TranscriptDocument(url: url, displayPath: relative))
    }
    return documents.sorted { $0.displayPath < $1.displayPath }
  }

  /// The file's lines with every block showing its transcript from `transcripts`.
  ///
  /// - Throws: `ScenarioFailure` naming the first block whose transcript no scenario made.
  func rendered(with transcripts: [String: String]) throws -> [String] {
    var result: [String] = []
    var next = 0
    for block in blocks {
      guard let transcript = transcripts[block.name] else {
        throw ScenarioFailure(
          "\(displayPath):\(block.openingLine + 1): no scenario makes transcript '\(block.name)'"
            + " (the scenarios are listed in Tests/Transcripts/Scenarios.swift)")
      }
      result += lines[next...block.openingLine]
      result.append("```text")
      var body = transcript.components(separatedBy: "\n")
      if body.last == "" { body.removeLast() }
      result += body
      result.append("```")
      next = block.closingLine
    }
    result += lines[next...]
    return result
  }

  /// Replaces the file's contents with `lines`.
  func write(_ lines: [String]) throws {
    try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
  }
}
