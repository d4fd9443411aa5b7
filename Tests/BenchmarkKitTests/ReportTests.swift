import BenchmarkKit
import Testing

/// A clean run of `rate` deliveries per second (one second) with the given p99.
private func run(_ target: String, _ repetition: Int, rate: Int, p99: UInt64 = 1_000)
  -> RunMeasurement
{
  RunMeasurement(
    target: target, repetition: repetition, seconds: 1,
    counts: DeliveryCounts(expected: rate, delivered: rate),
    latency: LatencySummary(p50: p99 / 2, p99: p99, maximum: p99 * 2, samples: UInt64(rate)),
    brokerCPUSeconds: 0.5)
}

@Suite("Summaries and options")
struct ReportTests {
  @Test("medians over repetitions, and ratios against the first target")
  func mediansAndRatios() throws {
    let runs = [
      run("nats", 1, rate: 100, p99: 2_000), run("task3", 1, rate: 300, p99: 1_000),
      run("nats", 2, rate: 200, p99: 4_000), run("task3", 2, rate: 100, p99: 1_000),
      run("nats", 3, rate: 900, p99: 3_000), run("task3", 3, rate: 200, p99: 3_000),
    ]
    let summaries = summarize(runs: runs, targets: ["nats", "task3"])
    #expect(summaries.map(\.target) == ["nats", "task3"])
    #expect(summaries[0].deliveriesPerSecond == 200)
    #expect(summaries[0].medianP99 == 3_000)
    #expect(summaries[0].throughputRatio == 1)
    #expect(summaries[1].deliveriesPerSecond == 200)
    #expect(summaries[1].medianP99 == 1_000)
    #expect(try #require(summaries[1].p99Ratio) == 1_000.0 / 3_000)
    // 0.5 s of broker CPU for 200 deliveries.
    #expect(summaries[1].brokerCPUPerDelivery == 0.5e9 / 200)
  }

  @Test("CPU per delivery is left out when the reading is too coarse to mean anything")
  func coarseCPUReadings() {
    var short = run("nats", 1, rate: 1_000)
    short.brokerCPUSeconds = minimumCPUSeconds / 2
    short.clientCPUSeconds = minimumCPUSeconds
    let summary = summarize(runs: [short], targets: ["nats"])[0]
    #expect(summary.brokerCPUPerDelivery == nil)
    #expect(summary.clientCPUPerDelivery == minimumCPUSeconds * 1e9 / 1_000)
  }

  @Test("one failed repetition makes the target FAILED, with no numbers to quote")
  func failedRepetition() {
    var lossy = run("task3", 2, rate: 1_000_000)
    lossy.counts.lost = 1
    lossy.counts.delivered -= 1
    let summaries = summarize(
      runs: [run("nats", 1, rate: 100), run("task3", 1, rate: 500), lossy],
      targets: ["nats", "task3"])
    #expect(summaries[1].status == .failed(["rep 2: lost 1"]))
    #expect(summaries[1].deliveriesPerSecond == nil)
    #expect(summaries[1].throughputRatio == nil)
  }

  @Test("a run that stopped early fails even if its counts look clean")
  func stoppedEarly() {
    var stalled = run("nats", 1, rate: 10)
    stalled.failure = "stalled"
    #expect(stalled.isFailed)
    #expect(summarize(runs: [stalled], targets: ["nats"])[0].status == .failed(["rep 1: stalled"]))
  }

  @Test(
    "targets a workload does not apply to are marked, and a failed first target gives no ratios")
  func notApplicableAndNoBaseline() {
    var failed = run("nats", 1, rate: 10)
    failed.counts.duplicated = 2
    let summaries = summarize(
      runs: [failed, run("task3", 1, rate: 10)], targets: ["nats", "task3", "task2"],
      notApplicable: ["task2": "no topics"])
    #expect(summaries[2].status == .notApplicable("no topics"))
    #expect(summaries[1].isMeasured)
    #expect(summaries[1].throughputRatio == nil)
  }

  @Test("memory medians, growth per client and ratios")
  func memory() {
    let readings = [
      MemoryMeasurement(
        target: "nats", repetition: 1, clients: 1_000, baselineKilobytes: 10_000,
        loadedKilobytes: 20_000, baselineThreads: 10, loadedThreads: 10),
      MemoryMeasurement(
        target: "task2", repetition: 1, clients: 1_000, baselineKilobytes: 2_000,
        loadedKilobytes: 40_000, baselineThreads: 2, loadedThreads: 1_002),
    ]
    let summaries = summarize(memory: readings, targets: ["nats", "task2"])
    #expect(summaries[0].bytesPerClient == 10_240)
    #expect(summaries[1].ratio == 2)
    #expect(summaries[1].loadedThreads == 1_002)
  }

  @Test("targets parse as NAME=PROTOCOL@HOST:PORT")
  func targets() throws {
    #expect(
      try Target(parsing: "nats=nats@127.0.0.1:4222")
        == Target(name: "nats", wireProtocol: .nats, host: "127.0.0.1", port: 4222))
    #expect(try Target(parsing: "b=task3@::1:5000").host == "::1")
    for bad in ["nats@127.0.0.1:4222", "x=mqtt@h:1", "x=nats@h", "x=nats@h:0", "=nats@h:1"] {
      #expect(throws: UsageError.self, "\(bad)") { try Target(parsing: bad) }
    }
  }

  @Test("scenarios take the issue's presets, and flags override them")
  func options() throws {
    let options = try BenchmarkOptions.parse([
      "--target", "n=nats@h:1", "--scenario", "a,D", "-M", "500", "--reps", "5",
    ])
    #expect(options.repetitions == 5)
    #expect(options.workloads.map(\.label) == ["A", "D"])
    #expect(
      options.workloads[0].workload
        == Workload(publishers: 1, subscribers: 10, topics: 1, messagesPerPublisher: 500))
    #expect(options.workloads[1].workload.rate == 5_000)
    #expect(options.workloads[1].measuresLatency)
  }

  @Test("command-line mistakes are usage errors")
  func optionErrors() {
    let mistakes: [[String]] = [
      [], ["--target", "n=nats@h:1", "--scenario", "G"], ["--target", "n=nats@h:1", "-P"],
      ["--target", "n=nats@h:1", "-B", "8"], ["--target", "n=nats@h:1", "--bogus"],
      ["--target", "n=nats@h:1", "--idle-clients", "10"],
      ["--target", "n=nats@h:1", "--target", "n=task3@h:2"],
      ["--target", "n=nats@h:1", "--pid", "m=12"],
    ]
    for arguments in mistakes {
      #expect(throws: UsageError.self, "\(arguments)") {
        try BenchmarkOptions.parse(arguments)
      }
    }
  }

  @Test("broker memory and CPU are read from /proc text")
  func processStatus() {
    let status = "Name:\tnats-server\nVmPeak:\t  99 kB\nVmRSS:\t   18312 kB\nThreads:\t9\n"
    #expect(ProcessStatus.residentKilobytes(inStatus: status) == 18_312)
    #expect(ProcessStatus.threads(inStatus: status) == 9)
    let stat = "1234 (odd (name) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9"
    #expect(ProcessStatus.cpuTicks(inStat: stat) == 325)
    #expect(ProcessStatus.residentKilobytes(inStatus: "Name:\tx\n") == nil)
  }
}
