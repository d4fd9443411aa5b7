import Foundation

/// Human units for the tables and the chart.
public enum Units {
  /// `2.81 M/s`, `812 k/s`, `950/s`.
  public static func rate(_ perSecond: Double) -> String {
    if perSecond >= 1e6 { return significant(perSecond / 1e6) + " M/s" }
    if perSecond >= 1e3 { return significant(perSecond / 1e3) + " k/s" }
    return significant(perSecond) + "/s"
  }

  /// `850 ns`, `85.2 µs`, `1.23 ms`, `2.05 s`.
  public static func duration(nanoseconds: Double) -> String {
    if nanoseconds >= 1e9 { return significant(nanoseconds / 1e9) + " s" }
    if nanoseconds >= 1e6 { return significant(nanoseconds / 1e6) + " ms" }
    if nanoseconds >= 1e3 { return significant(nanoseconds / 1e3) + " µs" }
    return significant(nanoseconds) + " ns"
  }

  /// `12.3 MiB` from KiB.
  public static func memory(kilobytes: Double) -> String {
    kilobytes >= 1024 ? significant(kilobytes / 1024) + " MiB" : significant(kilobytes) + " KiB"
  }

  /// `9.81 KiB` from bytes.
  public static func bytes(_ bytes: Double) -> String {
    abs(bytes) >= 1024 ? significant(bytes / 1024) + " KiB" : significant(bytes) + " B"
  }

  /// `1.04x`.
  public static func ratio(_ ratio: Double) -> String {
    String(format: "%.2fx", ratio)
  }

  /// Three significant figures, without trailing exponent notation: `2.81`, `28.1`, `281`,
  /// `2810`.
  public static func significant(_ value: Double) -> String {
    let magnitude = abs(value)
    let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2
    return String(format: "%.\(decimals)f", value)
  }
}

/// Lays out rows of cells as an aligned plain-text table or a Markdown table.
public struct Table: Equatable, Sendable {
  /// Column headings.
  public var header: [String]
  /// Rows, each as many cells as `header`.
  public var rows: [[String]]
  /// How many leading columns hold text (left-aligned); the rest hold numbers
  /// (right-aligned, so that they line up).
  public var textColumns: Int

  /// Creates a table.
  public init(header: [String], rows: [[String]] = [], textColumns: Int = 1) {
    self.header = header
    self.rows = rows
    self.textColumns = textColumns
  }

  /// Columns padded to their widest cell, text left-aligned and numbers right-aligned.
  public var plainText: String {
    let all = [header] + rows
    let widths = header.indices.map { column in
      all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
    }
    return all.map { row in
      row.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
        return column < textColumns ? cell + padding : padding + cell
      }
      .joined(separator: "  ")
      .trimmingTrailingSpaces()
    }
    .joined(separator: "\n")
  }

  /// GitHub-flavoured Markdown, numbers right-aligned; `|` in cells is escaped.
  public var markdown: String {
    func line(_ cells: [String]) -> String {
      "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
        + " |"
    }
    let rule = "|" + header.indices.map { $0 < textColumns ? " --- |" : " ---: |" }.joined()
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}

extension TargetSummary {
  /// The status word for tables: `ok`, `FAILED`, `n/a`.
  var statusWord: String {
    switch status {
    case .measured: "ok"
    case .failed: "FAILED"
    case .notApplicable: "n/a"
    }
  }

  /// The headline cell: throughput, or p99 latency for a latency workload, with the ratio.
  func headline(measuresLatency: Bool, isBaseline: Bool) -> String {
    guard isMeasured else { return statusWord }
    if measuresLatency, let p99 = medianP99 {
      let ratio = isBaseline ? "" : p99Ratio.map { " (\(Units.ratio($0)))" } ?? ""
      return "p99 " + Units.duration(nanoseconds: p99) + ratio
    }
    guard let rate = deliveriesPerSecond else { return statusWord }
    let ratio = isBaseline ? "" : throughputRatio.map { " (\(Units.ratio($0)))" } ?? ""
    return Units.rate(rate) + ratio
  }
}

extension BenchmarkReport {
  /// The per-workload tables and the failures, for the terminal.
  public var plainText: String {
    var sections: [String] = []
    let baselineName = targets.first?.name ?? ""
    for workload in workloads {
      var table = Table(header: [
        "target", "deliveries/s", "vs \(baselineName)", "p50", "p99", "p99 vs \(baselineName)",
        "max", "broker CPU/dlv", "bench CPU/dlv", "result",
      ])
      for summary in workload.summaries {
        table.rows.append(detailCells(summary))
      }
      var lines = [
        "Scenario \(workload.planned.label): \(workload.planned.purpose)",
        "  \(workload.planned.workload.summary); medians of \(repetitions) reps",
        table.plainText,
      ]
      lines += failureLines(workload.summaries)
      sections.append(lines.joined(separator: "\n"))
    }
    if !memorySummaries.isEmpty { sections.append(memoryTable.plainText) }
    return sections.joined(separator: "\n\n")
  }

  /// A Markdown page section: date and machine, a headline table (one row per workload, one
  /// column per target), then the detail tables.
  public var markdown: String {
    var page = [
      "Measured \(date) on \(machine); medians of \(repetitions) interleaved repetitions; "
        + "ratios are against `\(targets.first?.name ?? "")`.",
      "",
    ]
    var headline = Table(header: ["scenario"] + targets.map(\.name))
    for workload in workloads {
      headline.rows.append(
        ["\(workload.planned.label): \(workload.planned.purpose)"]
          + workload.summaries.enumerated().map { index, summary in
            summary.headline(
              measuresLatency: workload.planned.measuresLatency, isBaseline: index == 0)
          })
    }
    if !memorySummaries.isEmpty, let clients = memory.first?.clients {
      headline.rows.append(
        ["memory with \(clients) idle clients (fresh broker)"]
          + memorySummaries.map { summary in
            guard let kilobytes = summary.loadedKilobytes else { return "FAILED" }
            return Units.memory(kilobytes: kilobytes)
          })
    }
    page.append(headline.markdown)
    page.append("")
    var detail = Table(
      header: [
        "scenario", "target", "deliveries/s", "p50", "p99", "max", "broker CPU/delivery",
        "result",
      ], textColumns: 2)
    for workload in workloads {
      for summary in workload.summaries {
        // The terminal table's cells without the ratio columns and the benchmark's own CPU.
        let cells = detailCells(summary)
        detail.rows.append(
          [workload.planned.label, summary.target] + [1, 3, 4, 6, 7, 9].map { cells[$0] })
      }
    }
    page.append(detail.markdown)
    if !memorySummaries.isEmpty {
      page.append("")
      page.append(memoryTable.markdown)
    }
    let notes = workloads.flatMap { failureLines($0.summaries) }
    if !notes.isEmpty {
      page.append("")
      page.append("Failures and targets not run:")
      page.append("")
      page += notes.map { "- " + $0.trimmingCharacters(in: .whitespaces) }
    }
    return page.joined(separator: "\n") + "\n"
  }

  private func detailCells(_ summary: TargetSummary) -> [String] {
    let dash = summary.statusWord == "ok" ? "-" : summary.statusWord
    func time(_ value: Double?) -> String {
      value.map { Units.duration(nanoseconds: $0) } ?? dash
    }
    return [
      summary.target,
      summary.deliveriesPerSecond.map(Units.rate) ?? dash,
      summary.throughputRatio.map(Units.ratio) ?? dash,
      time(summary.medianP50), time(summary.medianP99),
      summary.p99Ratio.map(Units.ratio) ?? dash,
      time(summary.medianMaximum),
      time(summary.brokerCPUPerDelivery), time(summary.clientCPUPerDelivery),
      summary.statusWord,
    ]
  }

  private func failureLines(_ summaries: [TargetSummary]) -> [String] {
    summaries.flatMap { summary -> [String] in
      switch summary.status {
      case .measured: []
      case .failed(let reasons): reasons.map { "  \(summary.target) FAILED \($0)" }
      case .notApplicable(let reason): ["  \(summary.target) n/a: \(reason)"]
      }
    }
  }

  private var memoryTable: Table {
    let clients = memory.first?.clients ?? 0
    var table = Table(header: [
      "target", "RSS with \(clients) idle clients", "per client", "threads", "vs first",
      "result",
    ])
    for summary in memorySummaries {
      let failed = !summary.failures.isEmpty
      table.rows.append([
        summary.target,
        summary.loadedKilobytes.map { Units.memory(kilobytes: $0) } ?? "-",
        summary.bytesPerClient.map(Units.bytes) ?? "-",
        summary.loadedThreads.map { String(Int($0)) } ?? "-",
        summary.ratio.map(Units.ratio) ?? "-",
        failed ? "FAILED " + summary.failures.joined(separator: "; ") : "ok",
      ])
    }
    return table
  }
}
