/// A line-by-line difference between two versions of a file, printed in the unified format
/// `diff -u` and `git diff` use, so that drift is read the way code changes are read.
///
/// It finds a longest common subsequence with the classic dynamic programme: quadratic, which
/// is fine for README-sized files and keeps the code short enough to check by reading.
struct LineDiff {
  /// One line of the comparison: in both versions, only in the old, or only in the new.
  private enum Edit {
    case same(String)
    case removed(String)
    case added(String)

    /// Whether the line differs between the versions.
    var isChange: Bool {
      if case .same = self { false } else { true }
    }
    /// Whether the line is in the old version.
    var isInOld: Bool {
      if case .added = self { false } else { true }
    }
    /// Whether the line is in the new version.
    var isInNew: Bool {
      if case .removed = self { false } else { true }
    }
  }

  private let edits: [Edit]

  /// Compares `old` with `new`.
  init(old: [String], new: [String]) {
    // common[i][j] is the length of the longest common subsequence of old[i...] and new[j...].
    var common = [[Int]](
      repeating: [Int](repeating: 0, count: new.count + 1), count: old.count + 1)
    for i in stride(from: old.count - 1, through: 0, by: -1) {
      for j in stride(from: new.count - 1, through: 0, by: -1) {
        common[i][j] =
          old[i] == new[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
      }
    }
    var edits: [Edit] = []
    var i = 0
    var j = 0
    while i < old.count || j < new.count {
      if i < old.count && j < new.count && old[i] == new[j] {
        edits.append(.same(old[i]))
        i += 1
        j += 1
      } else if i < old.count && (j == new.count || common[i + 1][j] >= common[i][j + 1]) {
        // Removals first, as `diff -u` prints them.
        edits.append(.removed(old[i]))
        i += 1
      } else {
        edits.append(.added(new[j]))
        j += 1
      }
    }
    self.edits = edits
  }

  /// Whether the two versions are the same.
  var isEmpty: Bool {
    !edits.contains { $0.isChange }
  }

  /// The difference as unified-diff hunks with `context` unchanged lines around each change,
  /// under `--- oldName` / `+++ newName` headers; empty when there is no difference.
  func unified(oldName: String, newName: String, context: Int = 3) -> String {
    let changed = edits.indices.filter { edits[$0].isChange }
    guard !changed.isEmpty else { return "" }
    // Group changes whose context would touch or overlap into one hunk.
    var hunks: [ClosedRange<Int>] = []
    for index in changed {
      let range = max(0, index - context)...min(edits.count - 1, index + context)
      if let last = hunks.last, range.lowerBound <= last.upperBound + 1 {
        hunks[hunks.count - 1] = last.lowerBound...range.upperBound
      } else {
        hunks.append(range)
      }
    }
    var output = ["--- \(oldName)", "+++ \(newName)"]
    for hunk in hunks {
      // Line numbers (1-based) where the hunk starts in each version.
      let before = edits[..<hunk.lowerBound]
      let oldStart = before.filter(\.isInOld).count + 1
      let newStart = before.filter(\.isInNew).count + 1
      let body = edits[hunk]
      let oldCount = body.filter(\.isInOld).count
      let newCount = body.filter(\.isInNew).count
      output.append("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@")
      for edit in body {
        switch edit {
        case .same(let line): output.append(" " + line)
        case .removed(let line): output.append("-" + line)
        case .added(let line): output.append("+" + line)
        }
      }
    }
    return output.joined(separator: "\n")
  }
}
