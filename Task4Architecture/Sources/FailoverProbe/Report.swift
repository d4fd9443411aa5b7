import Foundation

/// The summary of a series of trials: per-trial lines and, per measure, the median, the 95th
/// percentile and the maximum.
struct Report {
  let results: [TrialResult]
  /// The number of the first trial, for reports of one trial at a time.
  var firstNumber = 1

  /// The value at `fraction` of the sorted values (the nearest-rank percentile: for 20 values,
  /// the 95th percentile is the 19th).
  static func percentile(_ fraction: Double, of values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((fraction * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }

  static func milliseconds(_ duration: Duration?) -> Double? {
    guard let duration else { return nil }
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
  }

  static func format(_ value: Double?) -> String {
    value.map { String(format: "%.1f ms", $0) } ?? "—"
  }

  /// One line per trial.
  func trialLines() -> [String] {
    results.enumerated().map { number, result in
      let columns = [
        String(format: "%2d", number + firstNumber), result.mode.rawValue,
        "detected " + Self.format(Self.milliseconds(result.detection)),
        "publishing " + Self.format(Self.milliseconds(result.publishResumed)),
        "delivery " + Self.format(Self.milliseconds(result.deliveryResumed)),
        "acked \(result.acknowledged)", "received \(result.received)", "lost \(result.lost)",
        "duplicates \(result.duplicates)", "order breaks \(result.orderBreaks)",
        "epoch \(result.newEpoch)", result.rejoinedAsBackup ? "rejoined as backup" : "NOT REJOINED",
      ]
      let problems =
        result.problems.isEmpty ? "" : "  (" + result.problems.joined(separator: "; ") + ")"
      return columns.joined(separator: "  ") + problems
    }
  }

  /// The summary table in Markdown, per failure mode.
  func summary() -> [String] {
    var lines = [
      "| mode | measure | median | 95th percentile | max |", "|---|---|---|---|---|",
    ]
    for mode in FailureMode.allCases {
      let trials = results.filter { $0.mode == mode }
      guard !trials.isEmpty else { continue }
      let measures: [(String, (TrialResult) -> Duration?)] = [
        ("failure detected", { $0.detection }),
        ("publishing resumed (first +ACK)", { $0.publishResumed }),
        ("delivery resumed", { $0.deliveryResumed }),
      ]
      for (name, measure) in measures {
        let values = trials.compactMap { Self.milliseconds(measure($0)) }
        lines.append(
          "| \(mode.rawValue) | \(name) | \(Self.format(Self.percentile(0.5, of: values))) | "
            + "\(Self.format(Self.percentile(0.95, of: values))) | \(Self.format(values.max())) |")
      }
    }
    lines.append("")
    for mode in FailureMode.allCases {
      let trials = results.filter { $0.mode == mode }
      guard !trials.isEmpty else { continue }
      let total = { (value: (TrialResult) -> Int) in trials.map(value).reduce(0, +) }
      let allDelivered = trials.filter { $0.received == $0.acknowledged && $0.lost == 0 }.count
      lines.append(
        "\(mode.rawValue), \(trials.count) trials: lost \(total { $0.lost }), duplicates "
          + "\(total { $0.duplicates }), order breaks \(total { $0.orderBreaks }), "
          + "all delivered in \(allDelivered), rejoined as backup in "
          + "\(trials.filter(\.rejoinedAsBackup).count), clean in "
          + "\(trials.filter(\.isClean).count)")
    }
    return lines
  }
}
