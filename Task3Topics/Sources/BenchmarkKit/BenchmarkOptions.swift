/// A workload to run, with the label it is reported under.
public struct PlannedWorkload: Equatable, Sendable, Codable {
  /// `A` ... `F`, or `custom`.
  public var label: String
  /// What it measures, for headings.
  public var purpose: String
  /// The workload.
  public var workload: Workload
  /// Whether latency, not throughput, is its result.
  public var measuresLatency: Bool

  /// Creates a planned workload.
  public init(label: String, purpose: String, workload: Workload, measuresLatency: Bool) {
    self.label = label
    self.purpose = purpose
    self.workload = workload
    self.measuresLatency = measuresLatency
  }
}

/// Everything `pubsub-bench` was asked to do.
public struct BenchmarkOptions: Equatable, Sendable {
  /// The brokers, in the order given; ratios are against the first.
  public var targets: [Target] = []
  /// The workloads, in order.
  public var workloads: [PlannedWorkload] = []
  /// Repetitions of each workload on each target, interleaved target by target.
  public var repetitions = 3
  /// Idle clients to open for the memory measurement; `nil` for none.
  public var idleClients: Int?
  /// Broker process ids by target name, for memory and CPU readings.
  public var processIDs: [String: Int32] = [:]
  /// Threads reading subscriber connections; `nil` for one per core (at most one per
  /// subscriber).
  public var readerThreads: Int?
  /// How long any wait may go without progress before the run fails.
  public var stallTimeout: Duration = .seconds(10)
  /// Print JSON instead of tables.
  public var printsJSON = false
  /// Where to write the SVG chart, if anywhere.
  public var chartPath: String?
  /// Where to write the Markdown table, if anywhere.
  public var markdownPath: String?

  /// The usage text.
  public static let usage = """
    usage: pubsub-bench --target NAME=PROTOCOL@HOST:PORT [--target ...] [options]
      Drives brokers with publishers and subscribers over TCP and reports deliveries/s,
      latency and any lost, duplicated, reordered or garbled message. PROTOCOL is task2,
      task3 or nats. With several targets, repetitions are interleaved (A B A B ...) and
      each target's medians are compared with the first target's.
    workload (flags override the chosen scenarios' values):
      --scenario LIST     comma-separated presets from A B C D E F (issue 6)
      -P N                publishers (publisher j publishes on topic j mod T)
      -S N                subscribers (subscriber i subscribes to topic i mod T)
      -T N                topics
      -M N                messages per publisher
      -B N                payload bytes (default 128, at least 32)
      --window N          closed loop: messages in flight per publisher (default 2000)
      --rate N            open loop: messages/s per publisher, for latency
    run:
      --reps N            repetitions per target (default 3)
      --idle-clients N    first read each broker's memory (VmRSS) with N idle subscribers
                          (once: it must be fresh, as freed memory is rarely returned)
      --pid NAME=PID      the broker process of target NAME, for memory and CPU readings
      --reader-threads N  subscriber reading threads (default: one per core)
      --stall-timeout S   seconds without progress before a run fails (default 10)
    output:
      --json              print the full report as JSON instead of tables
      --svg FILE          write a bar chart of the results
      --markdown FILE     write the results table as Markdown
    """

  /// Creates empty options.
  public init() {}

  /// Parses the command line (without the program name).
  ///
  /// - Throws: `UsageError` for the first mistake.
  public static func parse(_ arguments: [String]) throws(UsageError) -> BenchmarkOptions {
    var options = BenchmarkOptions()
    var scenarios: [Scenario] = []
    var overrides: [(inout Workload) -> Void] = []
    var hasWorkloadFlags = false
    var remaining = arguments[...]

    func value(_ flag: String) throws(UsageError) -> String {
      guard let value = remaining.popFirst() else { throw UsageError("\(flag) needs a value") }
      return value
    }
    func number(_ flag: String, minimum: Int = 1) throws(UsageError) -> Int {
      let text = try value(flag)
      guard let number = Int(text), number >= minimum else {
        throw UsageError("\(flag) expects a whole number of at least \(minimum), not '\(text)'")
      }
      return number
    }

    while let flag = remaining.popFirst() {
      switch flag {
      case "--target":
        options.targets.append(try Target(parsing: try value(flag)))
      case "--scenario":
        for name in try value(flag).split(separator: ",") {
          guard let scenario = Scenario(rawValue: name.uppercased()) else {
            throw UsageError("unknown scenario '\(name)': expected A, B, C, D, E or F")
          }
          scenarios.append(scenario)
        }
      case "-P", "-S", "-T", "-M", "-B", "--window", "--rate":
        let number = try number(flag)
        hasWorkloadFlags = true
        overrides.append { workload in
          switch flag {
          case "-P": workload.publishers = number
          case "-S": workload.subscribers = number
          case "-T": workload.topics = number
          case "-M": workload.messagesPerPublisher = number
          case "-B": workload.payloadSize = number
          case "--window": workload.window = number
          default: workload.rate = number
          }
        }
      case "--reps":
        options.repetitions = try number(flag)
      case "--idle-clients":
        options.idleClients = try number(flag)
      case "--pid":
        let text = try value(flag)
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let pid = Int32(parts[1]), pid > 0 else {
          throw UsageError("invalid --pid '\(text)': expected NAME=PID")
        }
        options.processIDs[String(parts[0])] = pid
      case "--reader-threads":
        options.readerThreads = try number(flag)
      case "--stall-timeout":
        options.stallTimeout = .seconds(try number(flag))
      case "--json":
        options.printsJSON = true
      case "--svg":
        options.chartPath = try value(flag)
      case "--markdown":
        options.markdownPath = try value(flag)
      default:
        throw UsageError("unknown option '\(flag)'")
      }
    }

    if options.targets.isEmpty { throw UsageError("give at least one --target") }
    let names = options.targets.map(\.name)
    if Set(names).count != names.count { throw UsageError("target names must be unique") }
    if let unknown = options.processIDs.keys.sorted().first(where: { !names.contains($0) }) {
      throw UsageError("--pid names '\(unknown)', which is not a target")
    }
    if options.idleClients != nil,
      let missing = names.first(where: { options.processIDs[$0] == nil })
    {
      throw UsageError("--idle-clients needs --pid for every target (missing: \(missing))")
    }

    var planned: [PlannedWorkload] = scenarios.map { scenario in
      PlannedWorkload(
        label: scenario.rawValue, purpose: scenario.purpose, workload: scenario.workload,
        measuresLatency: scenario.measuresLatency)
    }
    if planned.isEmpty && (hasWorkloadFlags || options.idleClients == nil) {
      let workload = Workload(
        publishers: 1, subscribers: 1, topics: 1, messagesPerPublisher: 100_000)
      planned = [
        PlannedWorkload(
          label: "custom", purpose: "as given", workload: workload, measuresLatency: false)
      ]
    }
    for index in planned.indices {
      for override in overrides { override(&planned[index].workload) }
      if planned[index].label == "custom" {
        planned[index].measuresLatency = planned[index].workload.rate != nil
      }
      try planned[index].workload.validate()
    }
    options.workloads = planned
    return options
  }
}
