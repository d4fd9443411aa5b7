import Foundation

/// Task 4, 10 marks: an architecture without a single point of failure.
///
/// The course asks for a document: a diagram and a written explanation. A program can check
/// only part of that, so for an external submission 6 marks are automatic (the document is
/// there, has a diagram, and covers the four ideas the course names) and 4 are the human
/// marker's, from the rubric printed with the report. For this project, 9 marks come from
/// the failover prototype, driven through its executables (`FailoverRun`), and 1 from its
/// design document.
public enum Task4Checks {
  /// The task's name in reports.
  public static let title = "Task 4: architecture"

  // MARK: - This project: the failover prototype and its design

  static let pairStarts = CheckDefinition(
    "4.1", "a primary and a backup start", marks: 2,
    verifies: "Two task4-brokers on free ports: the first, started with --start-as primary, "
      + "takes the primary role, and the second, given the first as its --peer, joins it as "
      + "backup, each within 10 s.")
  static let deliversThroughPrimary = CheckDefinition(
    "4.2", "messages flow through the primary", marks: 2,
    verifies: "A subscriber and a publisher (task4-client), each given both addresses, are "
      + "served by the primary, and the 10 messages typed into the publisher appear on the "
      + "subscriber within 5 s.")
  static let survivesPrimaryCrash = CheckDefinition(
    "4.3", "the primary killed mid-stream", marks: 3,
    verifies: "The primary is killed with SIGKILL (kill -9) as soon as messages 11 to 20 are "
      + "typed, and 21 to 30 are typed after it; the subscriber shows all 30 exactly once and "
      + "in order within 5 s, and nothing more in a quiet second after.")
  static let oldPrimaryReturnsAsBackup = CheckDefinition(
    "4.4", "the old primary returns as backup", marks: 2,
    verifies: "The killed node, restarted with --start-as primary and the survivor as its "
      + "--peer, joins the survivor as backup within 10 s and never takes the primary role; a "
      + "publisher given only its address is refused ('not primary').")
  static let designDocument = CheckDefinition(
    "4.5", "the design document", marks: 1,
    verifies: "Task4Architecture/README.md shows a diagram (a drawing, or an image that is "
      + "there) and covers single point of failure, replication, failover and load balancing.")

  /// The prototype's checks, in the order they run.
  static let prototypeDefinitions = [
    pairStarts, deliversThroughPrimary, survivesPrimaryCrash, oldPrimaryReturnsAsBackup,
  ]

  /// The checks for this project: the prototype's, then the design document's.
  public static let projectDefinitions = prototypeDefinitions + [designDocument]

  /// This project's design document, found from this file's place in the repository
  /// (`Tests/Grading/`), so that the grade does not depend on the folder it is run from.
  public static let designDocumentPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Task4Architecture/README.md").path

  /// Grades this project's Task 4: runs the failover prototype found in `directory` through
  /// its executables (checks 4.1 to 4.4) and reads the design document (4.5).
  ///
  /// The document is judged even when the prototype is not built: one missing part costs
  /// only its own marks.
  public static func gradeProject(
    productsDirectory directory: String, designDocument: String = designDocumentPath,
    pacing: Pacing = .person, progress: @escaping ProgressHandler = { _ in }
  ) -> TaskResult {
    let document = judgeDesignDocument(at: designDocument)
    let missing = ["task4-broker", "task4-client"].filter {
      !FileManager.default.isExecutableFile(atPath: directory + "/" + $0)
    }
    guard missing.isEmpty else {
      let reason =
        "task4 prototype not present (no \(missing.joined(separator: " or ")) in \(directory))"
      progress("task 4: \(reason)")
      let checks =
        prototypeDefinitions.map { CheckResult($0, .notJudged(reason: reason)) }
        + [CheckResult(Self.designDocument, document)]
      return TaskResult(task: 4, title: title, checks: checks, note: reason)
    }
    let run = FailoverRun(
      productsDirectory: directory, definitions: projectDefinitions, pacing: pacing,
      progress: progress)
    run.run()
    run.stopAll()
    run.record(Self.designDocument, document)
    let result = run.result(title: title)
    progress("task 4: \(result.awardedMarks)/\(result.maximumMarks)")
    return result
  }

  /// Judges the design document at `path` (4.5): the document checks of an external
  /// submission, all of which must pass, and every image it shows must be there.
  public static func judgeDesignDocument(at path: String) -> CheckOutcome {
    let expected =
      "\(path) with a diagram, covering single point of failure, replication, failover and "
      + "load balancing"
    guard FileManager.default.fileExists(atPath: path) else {
      return .failed(expected: expected, seen: "nothing at \(path)")
    }
    let failing = gradeDocument(at: path).checks.filter { !$0.outcome.isPassed }
      .map(\.definition)
    var problems: [String] = []
    if failing.contains(documentPresent) { problems.append("no text the grader can read") }
    if failing.contains(diagram) { problems.append("no diagram") }
    let topics = failing.filter { $0 != documentPresent && $0 != diagram }.map(\.title)
    if !topics.isEmpty { problems.append("no mention of " + Scenario.list(topics)) }
    let missingImages = Document.missingImages(linkedFrom: path)
    if !missingImages.isEmpty {
      problems.append("the images it shows are not there: " + Scenario.list(missingImages))
    }
    if problems.isEmpty { return .passed }
    return .failed(expected: expected, seen: problems.joined(separator: "; "))
  }

  // MARK: - An external submission: the document

  static let documentPresent = CheckDefinition(
    "4.1", "the document is there", marks: 1,
    verifies: "The Task 4 document (a file, or a folder of files) exists and can be read as "
      + "text (Markdown, plain text, reStructuredText, AsciiDoc or HTML).")
  static let diagram = CheckDefinition(
    "4.2", "it has a diagram", marks: 1,
    verifies: "It includes an image (PNG, JPEG, SVG, GIF, draw.io), a Mermaid or PlantUML "
      + "diagram, or a text drawing of at least three lines.")
  static let singlePointOfFailure = CheckDefinition(
    "4.3", "single point of failure", marks: 1,
    verifies: "It names the single point of failure (\"single point of failure\" or \"SPOF\").")
  static let replication = CheckDefinition(
    "4.4", "replication", marks: 1,
    verifies: "It discusses replication (\"replica\", \"replicate\", \"replication\").")
  static let failover = CheckDefinition(
    "4.5", "failover", marks: 1,
    verifies: "It discusses failover (\"failover\", \"fail over\", \"fail-over\").")
  static let loadBalancing = CheckDefinition(
    "4.6", "load balancing", marks: 1,
    verifies: "It discusses load balancing (\"load balancing\", \"load balancer\").")

  /// The automatic checks for an external submission's document.
  public static let documentDefinitions = [
    documentPresent, diagram, singlePointOfFailure, replication, failover, loadBalancing,
  ]

  /// The marks the human marker awards for an external submission's document.
  public static let markerMarks = 4

  /// The human marker's rubric: one mark per line.
  public static let markerRubric = [
    "1 mark: the diagram shows clients, several brokers and how messages and failures flow "
      + "between them, and it matches the text.",
    "1 mark: it explains how a failure is detected and how clients and brokers carry on "
      + "(heartbeats, election or promotion, reconnection), not only that they do.",
    "1 mark: it explains what is kept and what may be lost (synchronous or asynchronous "
      + "replication, queued messages for absent subscribers) and the trade-off made.",
    "1 mark: it is specific to the student's own Task 3 design and says what would change in "
      + "it; clear and correct throughout.",
  ]

  /// Grades the document at `path`: a file, or a folder whose text files and images are read
  /// together.
  public static func gradeDocument(at path: String) -> TaskResult {
    let document = Document(path: path)
    var checks: [CheckResult] = []
    func add(_ definition: CheckDefinition, _ outcome: CheckOutcome) {
      checks.append(CheckResult(definition, outcome))
    }
    guard document.exists else {
      let reason = "no document at \(path)"
      add(documentPresent, .failed(expected: "a Task 4 document at \(path)", seen: "nothing there"))
      for definition in documentDefinitions.dropFirst() {
        add(definition, .notJudged(reason: reason))
      }
      return result(checks)
    }
    guard !document.text.isEmpty else {
      let reason =
        "\(path) has no text the grader can read (a PDF or word-processor file?); the marker "
        + "checks these by hand"
      add(documentPresent, .passed)
      add(diagram, document.hasImage ? .passed : .notJudged(reason: reason))
      for definition in documentDefinitions.dropFirst(2) {
        add(definition, .notJudged(reason: reason))
      }
      return result(checks)
    }
    add(documentPresent, .passed)
    add(
      diagram,
      document.hasDiagram
        ? .passed
        : .failed(
          expected: "an image, a Mermaid or PlantUML block, or a text drawing",
          seen: "none in \(path)"))
    let topics: [(CheckDefinition, [String])] = [
      (singlePointOfFailure, ["single point of failure", "single points of failure", "spof"]),
      (replication, ["replica", "replicat"]),
      (failover, ["failover", "fail over", "failing over", "failed over"]),
      (loadBalancing, ["load balanc"]),
    ]
    for (definition, phrases) in topics {
      add(
        definition,
        document.mentions(anyOf: phrases)
          ? .passed
          : .failed(
            expected: "one of " + phrases.map { "\"\($0)\"" }.joined(separator: ", "),
            seen: "none of them in \(path)"))
    }
    return result(checks)
  }

  private static func result(_ checks: [CheckResult]) -> TaskResult {
    TaskResult(
      task: 4, title: title, checks: checks, markerMarks: markerMarks, markerRubric: markerRubric,
      note:
        "6 marks are checked automatically; \(markerMarks) are the human marker's (rubric below)")
  }
}

/// A Task 4 document as the checks read it.
struct Document {
  static let textExtensions: Set = [
    "md", "markdown", "txt", "rst", "adoc", "asciidoc", "html", "htm",
  ]
  static let imageExtensions: Set = ["png", "jpg", "jpeg", "gif", "svg", "drawio", "webp"]

  /// Whether anything is at the path.
  let exists: Bool
  /// The text of every readable file, lower-cased, with `-` and `_` read as spaces and runs
  /// of white space as one, so that "Fail-over" and "fail  over" read alike.
  let text: String
  /// The text as written, for finding drawings.
  let rawText: String
  /// Whether an image file is part of the document.
  let hasImage: Bool

  init(path: String) {
    var isDirectory: ObjCBool = false
    exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    var files: [URL] = []
    if isDirectory.boolValue {
      let root = URL(fileURLWithPath: path)
      let enumerator = FileManager.default.enumerator(
        at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
      while let file = enumerator?.nextObject() as? URL { files.append(file) }
    } else if exists {
      files = [URL(fileURLWithPath: path)]
    }
    let extensions = files.map { $0.pathExtension.lowercased() }
    let texts = zip(files, extensions).filter { Self.textExtensions.contains($1) }
      .compactMap { try? String(contentsOf: $0.0, encoding: .utf8) }
    rawText = texts.joined(separator: "\n")
    text = rawText.lowercased().replacingOccurrences(of: "-", with: " ")
      .replacingOccurrences(of: "_", with: " ")
      .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    hasImage = extensions.contains { Self.imageExtensions.contains($0) }
  }

  /// The images the Markdown file at `path` shows (`![...](name.svg)`) that are not there,
  /// relative to its folder; links to the web are not followed.
  static func missingImages(linkedFrom path: String) -> [String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    return text.components(separatedBy: "](").dropFirst().compactMap { link in
      let target = String(link.prefix { $0 != ")" && $0 != " " })
      let isLocalImage =
        !target.contains("://")
        && imageExtensions.contains(URL(fileURLWithPath: target).pathExtension.lowercased())
      guard isLocalImage else { return nil }
      let exists = FileManager.default.fileExists(
        atPath: folder.appendingPathComponent(target).path)
      return exists ? nil : target
    }
  }

  func mentions(anyOf phrases: [String]) -> Bool {
    phrases.contains { text.contains($0) }
  }

  /// Whether the document has a diagram: an image file or reference, a Mermaid or PlantUML
  /// block, or at least three lines of a text drawing (box-drawing characters, `+---+`
  /// corners, arrows).
  var hasDiagram: Bool {
    if hasImage { return true }
    let raw = rawText.lowercased()
    let markers = [
      "![", "<img", "<svg", ".svg", ".png", ".jpg", ".jpeg", "```mermaid", "@startuml",
    ]
    if markers.contains(where: raw.contains) { return true }
    let drawing: Set<Character> = ["─", "│", "┌", "┐", "└", "┘", "├", "┤", "═", "║", "▶", "►"]
    let drawingLines = rawText.split(separator: "\n").filter { line in
      line.contains(where: drawing.contains) || line.contains("+--") || line.contains("-->")
        || line.contains("<--") || line.contains("==>") || line.contains("--|")
    }
    return drawingLines.count >= 3
  }
}
