/// The marks table the `grade` command prints: every check with its marks and verdict, what
/// was expected and seen when it failed, a subtotal per task and the total.
public enum MarksTable {
  /// The width the table is laid out for.
  static let width = 100

  /// Returns the table for `report`.
  public static func render(_ report: GradeReport) -> String {
    var lines = ["Grade of \(report.subject)", ""]
    for task in report.tasks {
      lines.append(row(task.title, "\(task.awardedMarks)/\(task.maximumMarks)"))
      if let note = task.note { lines += wrap(note, indent: "  ") }
      if let problem = task.graderProblem {
        lines += wrap(
          "the grader may be at fault here, not the submission: \(problem)", indent: "  ! ")
      }
      for check in task.checks {
        let verdict: String
        switch check.outcome {
        case .passed: verdict = "pass"
        case .failed: verdict = "FAIL"
        case .notJudged: verdict = "----"
        }
        let name = "  \(verdict)  \(check.definition.identifier)  \(check.definition.title)"
        lines.append(row(name, "\(check.awardedMarks)/\(check.definition.marks)"))
        switch check.outcome {
        case .passed:
          break
        case .failed(let expected, let seen):
          lines += wrap(expected, indent: "             expected: ")
          lines += wrap(seen, indent: "             seen:     ")
        case .notJudged(let reason) where reason == task.note:
          break  // already said once for the whole task
        case .notJudged(let reason):
          lines += wrap(reason, indent: "             not judged: ")
        }
      }
      if task.markerMarks > 0 {
        lines.append("  For the human marker (\(task.markerMarks) marks, not included above):")
        for item in task.markerRubric { lines += wrap(item, indent: "    - ") }
      }
      lines.append("")
    }
    var total = row("Total", "\(report.awardedMarks)/\(report.maximumMarks)")
    if report.markerMarks > 0 {
      total +=
        "\n" + "(\(report.markerMarks) of the \(report.maximumMarks) marks are the human "
        + "marker's; the rest are automatic)"
    }
    lines.append(total)
    return lines.joined(separator: "\n")
  }

  /// `left` and `right` on one line, `right` ending at the table's width.
  private static func row(_ left: String, _ right: String) -> String {
    let padding = max(2, width - left.count - right.count)
    return left + String(repeating: " ", count: padding) + right
  }

  /// `text` wrapped to the table's width, the first line after `indent` and the rest aligned
  /// under it.
  static func wrap(_ text: String, indent: String) -> [String] {
    let hanging = String(repeating: " ", count: indent.count)
    var lines: [String] = []
    var current = indent
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
      let isLineStart = current.count == indent.count
      if !isLineStart && current.count + 1 + word.count > width {
        lines.append(current)
        current = hanging
      }
      current += (current.count == indent.count ? "" : " ") + word
    }
    lines.append(current)
    return lines
  }
}
