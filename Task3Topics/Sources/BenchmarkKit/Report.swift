/// Latency percentiles of one run, in nanoseconds.
public struct LatencySummary: Equatable, Sendable, Codable {
  /// The median.
  public var p50: UInt64
  /// The 99th percentile.
  public var p99: UInt64
  /// The largest.
  public var maximum: UInt64
  /// How many deliveries were timed.
  public var samples: UInt64

  /// Creates a summary.
  public init(p50: UInt64, p99: UInt64, maximum: UInt64, samples: UInt64) {
    self.p50 = p50
    self.p99 = p99
    self.maximum = maximum
    self.samples = samples
  }

  /// Summarises a histogram.
  public init(_ histogram: LatencyHistogram) {
    self.init(
      p50: histogram.value(atPercentile: 0.5), p99: histogram.value(atPercentile: 0.99),
      maximum: histogram.maximum, samples: histogram.count)
  }
}

/// One run of one workload against one target.
public struct RunMeasurement: Equatable, Sendable, Codable {
  /// The target's name.
  public var target: String
  /// Which repetition, from 1.
  public var repetition: Int
  /// Seconds from the first publish to the last owed delivery (or to the failure).
  public var seconds: Double
  /// What was owed and what went wrong.
  public var counts: DeliveryCounts
  /// Latency from send to receipt.
  public var latency: LatencySummary
  /// Why the run stopped early (a stall, a disconnect, an `-ERR`); `nil` if it did not.
  public var failure: String?
  /// CPU time the broker used during the run, when its process id was given.
  public var brokerCPUSeconds: Double?
  /// CPU time the benchmark itself used during the run.
  public var clientCPUSeconds: Double?

  /// Creates a measurement.
  public init(
    target: String, repetition: Int, seconds: Double, counts: DeliveryCounts,
    latency: LatencySummary, failure: String? = nil, brokerCPUSeconds: Double? = nil,
    clientCPUSeconds: Double? = nil
  ) {
    self.target = target
    self.repetition = repetition
    self.seconds = seconds
    self.counts = counts
    self.latency = latency
    self.failure = failure
    self.brokerCPUSeconds = brokerCPUSeconds
    self.clientCPUSeconds = clientCPUSeconds
  }

  /// Deliveries per second; 0 for an empty run.
  public var deliveriesPerSecond: Double {
    seconds > 0 ? Double(counts.delivered) / seconds : 0
  }

  /// Whether the run failed: stopped early, or any message lost, repeated, reordered,
  /// garbled or misrouted.
  public var isFailed: Bool { failure != nil || !counts.isClean }

  /// Why it failed, in one line; empty if it did not.
  public var failureSummary: String {
    [failure, counts.isClean ? nil : counts.problems.isEmpty ? "incomplete" : counts.problems]
      .compactMap { $0 }
      .joined(separator: "; ")
  }
}

/// How one target did on one workload, over all its repetitions.
public struct TargetSummary: Equatable, Sendable, Codable {
  /// Whether the target has numbers.
  public enum Status: Equatable, Sendable, Codable {
    /// Every repetition succeeded.
    case measured
    /// At least one repetition failed; the reasons, one per failed repetition.
    case failed([String])
    /// The workload does not apply (Task 2 has no topics).
    case notApplicable(String)
  }

  /// The target's name.
  public var target: String
  /// Its outcome.
  public var status: Status
  /// Median deliveries per second over repetitions (measured targets only).
  public var deliveriesPerSecond: Double?
  /// Median p50 latency, ns.
  public var medianP50: Double?
  /// Median p99 latency, ns.
  public var medianP99: Double?
  /// Median maximum latency, ns.
  public var medianMaximum: Double?
  /// Median broker CPU nanoseconds per delivery, when the broker's pid was given.
  public var brokerCPUPerDelivery: Double?
  /// Median benchmark CPU nanoseconds per delivery.
  public var clientCPUPerDelivery: Double?
  /// This target's median deliveries/s over the first target's.
  public var throughputRatio: Double?
  /// This target's median p99 latency over the first target's.
  public var p99Ratio: Double?

  /// Creates a summary; the numbers default to none.
  public init(
    target: String, status: Status, deliveriesPerSecond: Double? = nil,
    medianP50: Double? = nil, medianP99: Double? = nil, medianMaximum: Double? = nil,
    brokerCPUPerDelivery: Double? = nil, clientCPUPerDelivery: Double? = nil,
    throughputRatio: Double? = nil, p99Ratio: Double? = nil
  ) {
    self.target = target
    self.status = status
    self.deliveriesPerSecond = deliveriesPerSecond
    self.medianP50 = medianP50
    self.medianP99 = medianP99
    self.medianMaximum = medianMaximum
    self.brokerCPUPerDelivery = brokerCPUPerDelivery
    self.clientCPUPerDelivery = clientCPUPerDelivery
    self.throughputRatio = throughputRatio
    self.p99Ratio = p99Ratio
  }

  /// Whether the target has numbers to show.
  public var isMeasured: Bool { status == .measured }
}

/// The least CPU time a per-delivery figure is computed from: `/proc` counts CPU time in
/// ticks of 10 ms, so a shorter reading would be mostly rounding.
public let minimumCPUSeconds = 0.1

/// Reduces each target's repetitions to medians and compares them with the first target.
///
/// A target with any failed repetition gets no numbers at all: a run that lost messages is
/// not a fast run, and a median must not hide it.
///
/// - Parameters:
///   - runs: Every measurement of the workload, any order.
///   - targets: Target names in command-line order; ratios are against the first.
///   - notApplicable: Reasons for targets the workload was not run on.
public func summarize(
  runs: [RunMeasurement], targets: [String], notApplicable: [String: String] = [:]
) -> [TargetSummary] {
  var summaries = targets.map { name -> TargetSummary in
    if let reason = notApplicable[name] {
      return TargetSummary(target: name, status: .notApplicable(reason))
    }
    let mine = runs.filter { $0.target == name }.sorted { $0.repetition < $1.repetition }
    let failures = mine.filter(\.isFailed).map { "rep \($0.repetition): \($0.failureSummary)" }
    if mine.isEmpty { return TargetSummary(target: name, status: .failed(["no runs"])) }
    if !failures.isEmpty { return TargetSummary(target: name, status: .failed(failures)) }
    func perDelivery(_ seconds: Double?, _ run: RunMeasurement) -> Double? {
      guard let seconds, seconds >= minimumCPUSeconds, run.counts.delivered > 0 else {
        return nil
      }
      return seconds * 1e9 / Double(run.counts.delivered)
    }
    return TargetSummary(
      target: name, status: .measured,
      deliveriesPerSecond: median(mine.map(\.deliveriesPerSecond)),
      medianP50: median(mine.map { Double($0.latency.p50) }),
      medianP99: median(mine.map { Double($0.latency.p99) }),
      medianMaximum: median(mine.map { Double($0.latency.maximum) }),
      brokerCPUPerDelivery: median(mine.compactMap { perDelivery($0.brokerCPUSeconds, $0) }),
      clientCPUPerDelivery: median(mine.compactMap { perDelivery($0.clientCPUSeconds, $0) }))
  }
  if let baseline = summaries.first, baseline.isMeasured {
    for index in summaries.indices where summaries[index].isMeasured {
      if let mine = summaries[index].deliveriesPerSecond, let theirs = baseline.deliveriesPerSecond,
        theirs > 0
      {
        summaries[index].throughputRatio = mine / theirs
      }
      if let mine = summaries[index].medianP99, let theirs = baseline.medianP99, theirs > 0 {
        summaries[index].p99Ratio = mine / theirs
      }
    }
  }
  return summaries
}

/// The results of one workload.
public struct WorkloadReport: Equatable, Sendable, Codable {
  /// What was run.
  public var planned: PlannedWorkload
  /// Every repetition on every target.
  public var runs: [RunMeasurement]
  /// Per-target medians and ratios, in target order.
  public var summaries: [TargetSummary]

  /// Creates a report.
  public init(planned: PlannedWorkload, runs: [RunMeasurement], summaries: [TargetSummary]) {
    self.planned = planned
    self.runs = runs
    self.summaries = summaries
  }
}

/// One reading of a broker's memory with idle clients connected.
public struct MemoryMeasurement: Equatable, Sendable, Codable {
  /// The target's name.
  public var target: String
  /// Which repetition, from 1.
  public var repetition: Int
  /// Idle clients connected.
  public var clients: Int
  /// Resident memory before the clients connected, KiB.
  public var baselineKilobytes: Int
  /// Resident memory with all clients connected and subscribed, KiB.
  public var loadedKilobytes: Int
  /// Threads before the clients connected.
  public var baselineThreads: Int
  /// Threads with all clients connected.
  public var loadedThreads: Int
  /// Why the reading failed; `nil` if it did not.
  public var failure: String?

  /// Creates a measurement.
  public init(
    target: String, repetition: Int, clients: Int, baselineKilobytes: Int,
    loadedKilobytes: Int, baselineThreads: Int, loadedThreads: Int, failure: String? = nil
  ) {
    self.target = target
    self.repetition = repetition
    self.clients = clients
    self.baselineKilobytes = baselineKilobytes
    self.loadedKilobytes = loadedKilobytes
    self.baselineThreads = baselineThreads
    self.loadedThreads = loadedThreads
    self.failure = failure
  }
}

/// A broker's memory with idle clients, over repetitions.
public struct MemorySummary: Equatable, Sendable, Codable {
  /// The target's name.
  public var target: String
  /// The failures, if any repetition failed.
  public var failures: [String]
  /// Median resident memory with the clients connected, KiB.
  public var loadedKilobytes: Double?
  /// Median growth per client, bytes.
  public var bytesPerClient: Double?
  /// Median thread count with the clients connected.
  public var loadedThreads: Double?
  /// Resident memory over the first target's.
  public var ratio: Double?

  /// Creates a summary; the numbers default to none.
  public init(
    target: String, failures: [String], loadedKilobytes: Double? = nil,
    bytesPerClient: Double? = nil, loadedThreads: Double? = nil, ratio: Double? = nil
  ) {
    self.target = target
    self.failures = failures
    self.loadedKilobytes = loadedKilobytes
    self.bytesPerClient = bytesPerClient
    self.loadedThreads = loadedThreads
    self.ratio = ratio
  }
}

/// Reduces memory readings to medians per target, with ratios against the first.
public func summarize(memory: [MemoryMeasurement], targets: [String]) -> [MemorySummary] {
  var summaries = targets.map { name -> MemorySummary in
    let mine = memory.filter { $0.target == name }
    let failures = mine.compactMap { run in run.failure.map { "rep \(run.repetition): \($0)" } }
    guard failures.isEmpty, !mine.isEmpty else {
      return MemorySummary(target: name, failures: mine.isEmpty ? ["no runs"] : failures)
    }
    return MemorySummary(
      target: name, failures: [],
      loadedKilobytes: median(mine.map { Double($0.loadedKilobytes) }),
      bytesPerClient: median(
        mine.map { Double($0.loadedKilobytes - $0.baselineKilobytes) * 1024 / Double($0.clients) }),
      loadedThreads: median(mine.map { Double($0.loadedThreads) }))
  }
  if let baseline = summaries.first?.loadedKilobytes, baseline > 0 {
    for index in summaries.indices {
      summaries[index].ratio = summaries[index].loadedKilobytes.map { $0 / baseline }
    }
  }
  return summaries
}

/// Everything one `pubsub-bench` call measured.
public struct BenchmarkReport: Equatable, Sendable, Codable {
  /// When it ran (ISO 8601, UTC).
  public var date: String
  /// The machine: CPU model, cores, kernel.
  public var machine: String
  /// The targets, in order.
  public var targets: [Target]
  /// Repetitions per target.
  public var repetitions: Int
  /// One report per workload.
  public var workloads: [WorkloadReport]
  /// Idle-client memory readings, if asked for.
  public var memory: [MemoryMeasurement]
  /// Their medians.
  public var memorySummaries: [MemorySummary]

  /// Creates a report.
  public init(
    date: String, machine: String, targets: [Target], repetitions: Int,
    workloads: [WorkloadReport], memory: [MemoryMeasurement] = [],
    memorySummaries: [MemorySummary] = []
  ) {
    self.date = date
    self.machine = machine
    self.targets = targets
    self.repetitions = repetitions
    self.workloads = workloads
    self.memory = memory
    self.memorySummaries = memorySummaries
  }

  /// Whether any run failed (the exit status says so too).
  public var hasFailures: Bool {
    workloads.contains { report in
      report.summaries.contains { if case .failed = $0.status { true } else { false } }
    } || memorySummaries.contains { !$0.failures.isEmpty }
  }
}
