import BenchmarkKit
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Parses `document` as XML and returns the names of its elements, failing the test if it is
/// not well-formed.
private func elementNames(_ document: String) -> [String] {
  final class Collector: NSObject, XMLParserDelegate {
    var names: [String] = []
    func parser(
      _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
      qualifiedName: String?, attributes: [String: String] = [:]
    ) {
      names.append(elementName)
    }
  }
  let parser = XMLParser(data: Data(document.utf8))
  let collector = Collector()
  parser.delegate = collector
  #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
  return collector.names
}

/// A clean one-second run of `rate` deliveries with the given p99 (ns).
private func run(_ target: String, rate: Int, p99: UInt64) -> RunMeasurement {
  RunMeasurement(
    target: target, repetition: 1, seconds: 1,
    counts: DeliveryCounts(expected: rate, delivered: rate),
    latency: LatencySummary(p50: p99 / 2, p99: p99, maximum: p99 * 3, samples: UInt64(rate)))
}

/// A report with two targets (one named to need escaping), a throughput workload where the
/// second failed, a latency workload and memory readings.
private func sampleReport() -> BenchmarkReport {
  let names = ["nats", "<task3 & co>"]
  var lossy = run(names[1], rate: 9_000_000, p99: 1_000)
  lossy.counts.lost = 3
  let throughputRuns = [run(names[0], rate: 2_800_000, p99: 1_000_000), lossy]
  let latencyRuns = [
    run(names[0], rate: 50_000, p99: 400_000), run(names[1], rate: 50_000, p99: 300_000),
  ]
  let memory = [
    MemoryMeasurement(
      target: names[0], repetition: 1, clients: 1_000, baselineKilobytes: 10_000,
      loadedKilobytes: 20_000, baselineThreads: 9, loadedThreads: 9),
    MemoryMeasurement(
      target: names[1], repetition: 1, clients: 1_000, baselineKilobytes: 2_000,
      loadedKilobytes: 30_000, baselineThreads: 2, loadedThreads: 2_002),
  ]
  return BenchmarkReport(
    date: "2026-01-01T00:00:00Z", machine: "test \"machine\"",
    targets: [
      Target(name: names[0], wireProtocol: .nats, host: "h", port: 1),
      Target(name: names[1], wireProtocol: .task3, host: "h", port: 2),
    ],
    repetitions: 1,
    workloads: [
      WorkloadReport(
        planned: PlannedWorkload(
          label: "A", purpose: "fan-out 1 -> 10", workload: Scenario.a.workload,
          measuresLatency: false),
        runs: throughputRuns, summaries: summarize(runs: throughputRuns, targets: names)),
      WorkloadReport(
        planned: PlannedWorkload(
          label: "D", purpose: "latency", workload: Scenario.d.workload, measuresLatency: true),
        runs: latencyRuns, summaries: summarize(runs: latencyRuns, targets: names)),
    ],
    memory: memory, memorySummaries: summarize(memory: memory, targets: names))
}

@Suite("Charts and tables")
struct ChartTests {
  @Test("the chart is well-formed SVG with one bar per measured value")
  func chartIsWellFormed() {
    let svg = sampleReport().chart
    let names = elementNames(svg)
    #expect(names.first == "svg")
    // Bars: 1 throughput (the failed one has none) + 6 latency + 2 memory, plus the
    // background and the two legend squares.
    #expect(names.filter { $0 == "rect" }.count == 9 + 3)
    #expect(svg.contains("&lt;task3 &amp; co&gt;"))
    #expect(svg.contains(">FAILED<"))
    // Axis steps are round in the unit shown: 0, 10, 20, 30 MiB, not multiples of 1,000 KiB.
    #expect(svg.contains(">10.0 MiB<") && svg.contains(">30.0 MiB<") && svg.contains(">0<"))
  }

  @Test("an empty chart is still well-formed")
  func emptyChart() {
    let svg = SVGChartWriter.render(title: "t", subtitle: "s", panels: [])
    #expect(elementNames(svg) == ["svg", "rect", "text", "text"])
  }

  @Test("the Markdown page has the headline table, the detail table and the failures")
  func markdown() {
    let markdown = sampleReport().markdown
    #expect(markdown.contains("| scenario | nats | <task3 & co> |"))
    #expect(markdown.contains("| A: fan-out 1 -> 10 | 2.80 M/s | FAILED |"))
    #expect(markdown.contains("| D: latency | p99 400 µs | p99 300 µs (0.75x) |"))
    #expect(
      markdown.contains("| memory with 1000 idle clients (fresh broker) | 19.5 MiB | 29.3 MiB |"))
    #expect(markdown.contains("| A | <task3 & co> | FAILED | FAILED |"))
    #expect(markdown.contains("| <task3 & co> | 29.3 MiB | 28.0 KiB | 2002 | 1.50x | ok |"))
    #expect(markdown.contains("- <task3 & co> FAILED rep 1: lost 3"))
    #expect(!markdown.contains("| D | nats | 50.0 k/s | 200 µs | 400 µs | 1.20 ms | 0"))
  }

  @Test("plain-text tables align their columns")
  func plainText() {
    let table = Table(
      header: ["target", "rate"], rows: [["nats", "2.80 M/s"], ["task3", "1 k/s"]])
    #expect(table.plainText == "target      rate\nnats    2.80 M/s\ntask3      1 k/s")
    #expect(
      table.markdown
        == "| target | rate |\n| --- | ---: |\n| nats | 2.80 M/s |\n| task3 | 1 k/s |")
    let twoTextColumns = Table(header: ["a", "b", "c"], textColumns: 2)
    #expect(twoTextColumns.markdown == "| a | b | c |\n| --- | --- | ---: |")
  }

  @Test("units read naturally")
  func units() {
    #expect(Units.rate(2_812_345) == "2.81 M/s")
    #expect(Units.rate(81_234) == "81.2 k/s")
    #expect(Units.duration(nanoseconds: 850) == "850 ns")
    #expect(Units.duration(nanoseconds: 85_200) == "85.2 µs")
    #expect(Units.duration(nanoseconds: 1_234_000) == "1.23 ms")
    #expect(Units.memory(kilobytes: 2048) == "2.00 MiB")
  }
}
