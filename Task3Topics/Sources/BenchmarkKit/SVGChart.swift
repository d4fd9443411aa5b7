import Foundation

/// One panel of grouped bars: one group per scenario (or percentile), one bar per target.
public struct BarChart: Equatable, Sendable {
  /// What a bar shows.
  public enum Bar: Equatable, Sendable {
    /// A number, drawn to scale.
    case value(Double)
    /// No number, and why (`FAILED`, `n/a`), written where the bar would be.
    case missing(String)
  }

  /// What the values are, which decides the axis labels.
  public enum Quantity: Equatable, Sendable {
    /// Deliveries per second.
    case rate
    /// Nanoseconds.
    case duration
    /// KiB.
    case memory

    /// Values per display unit, so that axis steps are round in the unit shown (MiB, not
    /// KiB).
    var unitSize: Double { self == .memory ? 1024 : 1 }

    func format(_ value: Double) -> String {
      if value == 0 { return "0" }
      return switch self {
      case .rate: Units.rate(value)
      case .duration: Units.duration(nanoseconds: value)
      case .memory: Units.memory(kilobytes: value)
      }
    }
  }

  /// The panel's heading.
  public var title: String
  /// What the values are.
  public var quantity: Quantity
  /// Group labels along the bottom.
  public var groups: [String]
  /// The series (targets), in legend order.
  public var series: [String]
  /// `bars[group][series]`.
  public var bars: [[Bar]]

  /// Creates a panel.
  ///
  /// - Precondition: `bars` has one row per group, each with one bar per series.
  public init(title: String, quantity: Quantity, groups: [String], series: [String], bars: [[Bar]])
  {
    precondition(bars.count == groups.count && bars.allSatisfy { $0.count == series.count })
    self.title = title
    self.quantity = quantity
    self.groups = groups
    self.series = series
    self.bars = bars
  }
}

/// Draws bar charts as a standalone SVG document: plain shapes and text, no scripts or
/// external fonts, so it renders the same in a browser, on GitHub and in an editor preview.
public enum SVGChartWriter {
  static let width = 960.0
  static let panelHeight = 300.0
  static let marginLeft = 90.0
  static let marginRight = 20.0
  static let palette = ["#2f6db3", "#e0812c", "#3a9a5b", "#c23b3b", "#7d5ab5", "#8c6d31"]

  /// Renders `panels` under a heading, with one legend for the series of all panels.
  public static func render(title: String, subtitle: String, panels: [BarChart]) -> String {
    var series: [String] = []
    for name in panels.flatMap(\.series) where !series.contains(name) { series.append(name) }
    let legendTop = 64.0
    let firstPanelTop = legendTop + 30
    let height = firstPanelTop + Double(panels.count) * panelHeight + 10
    var svg = [
      ##"<?xml version="1.0" encoding="UTF-8"?>"##,
      ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(number(width))" "##
        + ##"height="\##(number(height))" viewBox="0 0 \##(number(width)) \##(number(height))" "##
        + ##"font-family="Helvetica, Arial, sans-serif">"##,
      ##"<rect width="100%" height="100%" fill="#ffffff"/>"##,
      text(title, x: 20, y: 30, size: 20, weight: "bold"),
      text(subtitle, x: 20, y: 50, size: 12, fill: "#555555"),
    ]
    var x = 20.0
    for (index, name) in series.enumerated() {
      svg.append(
        ##"<rect x="\##(number(x))" y="\##(number(legendTop))" width="14" height="14" "##
          + ##"fill="\##(color(index))"/>"##)
      svg.append(text(name, x: x + 20, y: legendTop + 12, size: 13))
      x += 40 + Double(name.count) * 8
    }
    for (index, panel) in panels.enumerated() {
      svg += draw(panel, top: firstPanelTop + Double(index) * panelHeight, series: series)
    }
    svg.append("</svg>")
    return svg.joined(separator: "\n") + "\n"
  }

  private static func draw(_ panel: BarChart, top: Double, series: [String]) -> [String] {
    let plotTop = top + 40
    let plotBottom = top + panelHeight - 50
    let plotLeft = marginLeft
    let plotRight = width - marginRight
    let values = panel.bars.flatMap { $0 }.compactMap { bar -> Double? in
      if case .value(let value) = bar { value } else { nil }
    }
    let unit = panel.quantity.unitSize
    let (unitStep, unitTop) = axis(maximum: (values.max() ?? 0) / unit)
    let (step, axisTop) = (unitStep * unit, unitTop * unit)
    func y(_ value: Double) -> Double {
      plotBottom - (plotBottom - plotTop) * (axisTop > 0 ? value / axisTop : 0)
    }

    var svg = [text(panel.title, x: 20, y: plotTop - 18, size: 15, weight: "bold")]
    var tick = 0.0
    while tick <= axisTop + step / 2 {
      svg.append(
        ##"<line x1="\##(number(plotLeft))" y1="\##(number(y(tick)))" "##
          + ##"x2="\##(number(plotRight))" "##
          + ##"y2="\##(number(y(tick)))" stroke="#dddddd" stroke-width="1"/>"##)
      svg.append(
        text(
          panel.quantity.format(tick), x: plotLeft - 8, y: y(tick) + 4, size: 11, anchor: "end",
          fill: "#555555"))
      tick += step
    }
    svg.append(
      ##"<line x1="\##(number(plotLeft))" y1="\##(number(plotBottom))" "##
        + ##"x2="\##(number(plotRight))" "##
        + ##"y2="\##(number(plotBottom))" stroke="#333333" stroke-width="1"/>"##)

    let groupWidth = (plotRight - plotLeft) / Double(max(1, panel.groups.count))
    let barWidth = min(48, groupWidth * 0.8 / Double(max(1, panel.series.count)))
    for (groupIndex, group) in panel.groups.enumerated() {
      let groupLeft =
        plotLeft + groupWidth * Double(groupIndex)
        + (groupWidth - barWidth * Double(panel.series.count)) / 2
      for (seriesIndex, bar) in panel.bars[groupIndex].enumerated() {
        let left = groupLeft + barWidth * Double(seriesIndex)
        let center = left + barWidth / 2
        let colorIndex = series.firstIndex(of: panel.series[seriesIndex]) ?? seriesIndex
        switch bar {
        case .value(let value):
          let barTop = y(value)
          svg.append(
            ##"<rect x="\##(number(left + 1))" y="\##(number(barTop))" "##
              + ##"width="\##(number(barWidth - 2))" height="\##(number(plotBottom - barTop))" "##
              + ##"fill="\##(color(colorIndex))"><title>"##
              + escape("\(panel.series[seriesIndex]) \(group): \(panel.quantity.format(value))")
              + "</title></rect>")
          svg.append(
            text(
              panel.quantity.format(value), x: center, y: barTop - 4, size: 10, anchor: "middle"))
        case .missing(let reason):
          svg.append(
            text(
              reason, x: center, y: plotBottom - 6, size: 10, anchor: "middle", fill: "#c23b3b"))
        }
      }
      svg.append(
        text(
          group, x: plotLeft + groupWidth * (Double(groupIndex) + 0.5), y: plotBottom + 18,
          size: 12, anchor: "middle"))
    }
    return svg
  }

  /// A tick step of 1, 2 or 5 times a power of ten giving four to eight ticks, and the axis
  /// top (a multiple of the step at or above `maximum`).
  static func axis(maximum: Double) -> (step: Double, top: Double) {
    guard maximum > 0 && maximum.isFinite else { return (1, 1) }
    let rough = maximum / 5
    let power = pow(10, floor(log10(rough)))
    let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
    return (step, (maximum / step).rounded(.up) * step)
  }

  private static func color(_ index: Int) -> String { palette[index % palette.count] }

  private static func text(
    _ content: String, x: Double, y: Double, size: Int, anchor: String = "start",
    weight: String = "normal", fill: String = "#222222"
  ) -> String {
    ##"<text x="\##(number(x))" y="\##(number(y))" font-size="\##(size)" "##
      + ##"text-anchor="\##(anchor)" font-weight="\##(weight)" fill="\##(fill)">"##
      + escape(content) + "</text>"
  }

  /// A coordinate with at most one decimal.
  private static func number(_ value: Double) -> String {
    String(format: "%.1f", value)
  }

  /// Escapes the five characters XML reserves, so any target name is safe in the document.
  static func escape(_ text: String) -> String {
    var escaped = ""
    for character in text {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&apos;"
      default: escaped.append(character)
      }
    }
    return escaped
  }
}

extension BenchmarkReport {
  /// The chart of the report: throughput per scenario, latency of the latency scenarios, and
  /// memory with idle clients, each as a panel.
  public var chart: String {
    let names = targets.map(\.name)
    func bar(_ summary: TargetSummary, _ value: Double?) -> BarChart.Bar {
      guard summary.isMeasured, let value else { return .missing(summary.statusWord) }
      return .value(value)
    }
    var panels: [BarChart] = []
    let throughput = workloads.filter { !$0.planned.measuresLatency }
    if !throughput.isEmpty {
      panels.append(
        BarChart(
          title: "Deliveries per second (higher is better)", quantity: .rate,
          groups: throughput.map { "\($0.planned.label): \($0.planned.purpose)" }, series: names,
          bars: throughput.map { $0.summaries.map { bar($0, $0.deliveriesPerSecond) } }))
    }
    for workload in workloads where workload.planned.measuresLatency {
      panels.append(
        BarChart(
          title:
            "Latency, \(workload.planned.label): \(workload.planned.purpose) (lower is better)",
          quantity: .duration, groups: ["p50", "p99", "max"], series: names,
          bars: [
            workload.summaries.map { bar($0, $0.medianP50) },
            workload.summaries.map { bar($0, $0.medianP99) },
            workload.summaries.map { bar($0, $0.medianMaximum) },
          ]))
    }
    if !memorySummaries.isEmpty, let clients = memory.first?.clients {
      panels.append(
        BarChart(
          title: "Resident memory with \(clients) idle clients (lower is better)",
          quantity: .memory, groups: ["VmRSS"], series: names,
          bars: [
            memorySummaries.map { summary in
              summary.loadedKilobytes.map { .value($0) } ?? .missing("FAILED")
            }
          ]))
    }
    return SVGChartWriter.render(
      title: "pubsub-bench: " + names.joined(separator: " vs "),
      subtitle: "\(date), \(machine); medians of \(repetitions) interleaved repetitions",
      panels: panels)
  }
}
