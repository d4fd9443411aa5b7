import Foundation

/// The report as JSON, for scripts and learning-management systems.
///
/// One object: `subject`, `awarded`, `maximum`, `markerMarks`, `fullMarks`, and `tasks`, each
/// with `task`, `title`, `awarded`, `maximum`, optional `note`, `graderProblem` and
/// `markerRubric`, and `checks`: `id`, `title`, `marks`, `awarded`, `status` (`passed`,
/// `failed` or `not judged`), `verifies`, and `expected` and `seen` (failed) or `reason`
/// (not judged).
public enum JSONReport {
  /// Returns `report` as pretty-printed JSON with sorted keys.
  public static func render(_ report: GradeReport) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Encoding plain strings and numbers cannot fail.
    let data = try! encoder.encode(ReportObject(report))
    return String(decoding: data, as: UTF8.self)
  }

  private struct ReportObject: Encodable {
    let subject: String
    let awarded: Int
    let maximum: Int
    let markerMarks: Int
    let fullMarks: Bool
    let tasks: [TaskObject]

    init(_ report: GradeReport) {
      subject = report.subject
      awarded = report.awardedMarks
      maximum = report.maximumMarks
      markerMarks = report.markerMarks
      fullMarks = report.isFullMarks
      tasks = report.tasks.map(TaskObject.init)
    }
  }

  private struct TaskObject: Encodable {
    let task: Int
    let title: String
    let awarded: Int
    let maximum: Int
    let markerMarks: Int
    let note: String?
    let graderProblem: String?
    let markerRubric: [String]?
    let checks: [CheckObject]

    init(_ result: TaskResult) {
      task = result.task
      title = result.title
      awarded = result.awardedMarks
      maximum = result.maximumMarks
      markerMarks = result.markerMarks
      note = result.note
      graderProblem = result.graderProblem
      markerRubric = result.markerRubric.isEmpty ? nil : result.markerRubric
      checks = result.checks.map(CheckObject.init)
    }
  }

  private struct CheckObject: Encodable {
    let id: String
    let title: String
    let marks: Int
    let awarded: Int
    let status: String
    let verifies: String
    var expected: String?
    var seen: String?
    var reason: String?

    init(_ result: CheckResult) {
      id = result.definition.identifier
      title = result.definition.title
      marks = result.definition.marks
      awarded = result.awardedMarks
      verifies = result.definition.verifies
      switch result.outcome {
      case .passed:
        status = "passed"
      case .failed(let expected, let seen):
        status = "failed"
        self.expected = expected
        self.seen = seen
      case .notJudged(let reason):
        status = "not judged"
        self.reason = reason
      }
    }
  }
}

/// The report as JUnit XML, which CI services and many learning-management systems read.
///
/// One `testsuite` per task and one `testcase` per check, named with its identifier, title
/// and marks. A check that did not pass, for whatever reason, is a `failure`, because it
/// cost marks; the message says whether it failed or could not be judged.
public enum JUnitReport {
  /// Returns `report` as a JUnit XML document.
  public static func render(_ report: GradeReport) -> String {
    let checks = report.tasks.flatMap(\.checks)
    let failures = checks.filter { !$0.outcome.isPassed }.count
    var xml = [
      #"<?xml version="1.0" encoding="UTF-8"?>"#,
      "<testsuites name=\"\(escape("grade: " + report.subject))\" tests=\"\(checks.count)\" "
        + "failures=\"\(failures)\">",
    ]
    for task in report.tasks {
      let taskFailures = task.checks.filter { !$0.outcome.isPassed }.count
      xml.append(
        "  <testsuite name=\"\(escape(task.title))\" tests=\"\(task.checks.count)\" "
          + "failures=\"\(taskFailures)\" errors=\"0\" skipped=\"0\">")
      xml.append("    <properties>")
      xml.append(property("marks", "\(task.awardedMarks)/\(task.maximumMarks)"))
      if task.markerMarks > 0 { xml.append(property("markerMarks", "\(task.markerMarks)")) }
      if let note = task.note { xml.append(property("note", note)) }
      if let problem = task.graderProblem { xml.append(property("graderProblem", problem)) }
      xml.append("    </properties>")
      for check in task.checks {
        let definition = check.definition
        let name = "\(definition.identifier) \(definition.title) (\(definition.marks) marks)"
        let opening =
          "    <testcase classname=\"grade.task\(task.task)\" name=\"\(escape(name))\""
        switch check.outcome {
        case .passed:
          xml.append(opening + "/>")
        case .failed(let expected, let seen):
          xml.append(opening + ">")
          xml.append(
            "      <failure message=\"\(escape("expected " + expected))\">"
              + escape("\(definition.verifies)\nexpected: \(expected)\nseen: \(seen)", in: .content)
              + "</failure>")
          xml.append("    </testcase>")
        case .notJudged(let reason):
          xml.append(opening + ">")
          xml.append(
            "      <failure message=\"\(escape("not judged: " + reason))\">"
              + escape("\(definition.verifies)\nnot judged: \(reason)", in: .content)
              + "</failure>")
          xml.append("    </testcase>")
        }
      }
      xml.append("  </testsuite>")
    }
    xml.append("</testsuites>")
    return xml.joined(separator: "\n") + "\n"
  }

  private static func property(_ name: String, _ value: String) -> String {
    "      <property name=\"\(escape(name))\" value=\"\(escape(value))\"/>"
  }

  /// Where escaped text goes.
  enum Context {
    /// An attribute value, where a raw newline would be read as a space.
    case attribute
    /// Element content.
    case content
  }

  /// Escapes text for XML, dropping the control characters XML 1.0 cannot carry at all.
  static func escape(_ text: String, in context: Context = .attribute) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&apos;"
      case "\n" where context == .attribute: escaped += "&#10;"
      case "\n", "\t": escaped.unicodeScalars.append(scalar)
      default:
        if scalar.value >= 0x20 { escaped.unicodeScalars.append(scalar) }
      }
    }
    return escaped
  }
}
