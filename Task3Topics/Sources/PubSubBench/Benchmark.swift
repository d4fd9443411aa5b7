import BenchmarkKit
import Foundation

/// Runs everything the options ask for, in the order that keeps the comparison fair, and
/// gathers the report.
///
/// Repetitions are interleaved (target A, target B, A, B, ...) rather than grouped, so that a
/// disturbance of the machine (another process, thermal throttling) lands on every target
/// rather than on all repetitions of one. Memory is measured first, once, while every broker
/// is fresh from start-up.
struct Benchmark {
  let options: BenchmarkOptions

  /// Runs the benchmark, describing each run as it finishes through `progress`.
  func run(progress: (String) -> Void) -> BenchmarkReport {
    let names = options.targets.map(\.name)
    let machine = "\(Machine.description), load average \(Machine.loadAverage) at start"
    // Memory is read once per target, first: a broker rarely gives freed memory back to the
    // system, so a second reading would measure the first one's leftovers, not the clients.
    var memory: [MemoryMeasurement] = []
    if let clients = options.idleClients {
      for target in options.targets {
        guard let pid = options.processIDs[target.name] else { continue }
        let reading = IdleClients(
          target: target, broker: BrokerProcess(id: pid), clients: clients, repetition: 1,
          timeout: options.stallTimeout
        ).measure()
        memory.append(reading)
        progress(describe(reading))
      }
    }

    var workloads: [WorkloadReport] = []
    var runID = 0
    for planned in options.workloads {
      var notApplicable: [String: String] = [:]
      for target in options.targets
      where !target.wireProtocol.supportsTopics && planned.workload.topics > 1 {
        notApplicable[target.name] = "\(target.wireProtocol.rawValue) has no topics"
      }
      var runs: [RunMeasurement] = []
      for repetition in 1...options.repetitions {
        for target in options.targets where notApplicable[target.name] == nil {
          runID += 1
          let measurement = WorkloadRun(
            target: target, workload: planned.workload, repetition: repetition, runID: runID,
            readerThreads: options.readerThreads ?? ProcessInfo.processInfo.activeProcessorCount,
            stallTimeout: options.stallTimeout,
            broker: options.processIDs[target.name].map(BrokerProcess.init)
          ).measure()
          runs.append(measurement)
          progress(
            "[\(planned.label) \(repetition)/\(options.repetitions)] \(describe(measurement))")
        }
      }
      workloads.append(
        WorkloadReport(
          planned: planned, runs: runs,
          summaries: summarize(runs: runs, targets: names, notApplicable: notApplicable)))
    }

    return BenchmarkReport(
      date: ISO8601DateFormatter().string(from: Date()), machine: machine,
      targets: options.targets, repetitions: options.repetitions, workloads: workloads,
      memory: memory,
      memorySummaries: memory.isEmpty ? [] : summarize(memory: memory, targets: names))
  }

  private func describe(_ run: RunMeasurement) -> String {
    let result = run.isFailed ? "FAILED: \(run.failureSummary)" : "ok"
    return "\(run.target): \(Units.rate(run.deliveriesPerSecond)) deliveries, "
      + "p50 \(Units.duration(nanoseconds: Double(run.latency.p50))), "
      + "p99 \(Units.duration(nanoseconds: Double(run.latency.p99))), "
      + "max \(Units.duration(nanoseconds: Double(run.latency.maximum))), \(result)"
  }

  private func describe(_ reading: MemoryMeasurement) -> String {
    let prefix = "[memory] \(reading.target): "
    if let failure = reading.failure { return prefix + "FAILED: \(failure)" }
    return prefix
      + "\(Units.memory(kilobytes: Double(reading.baselineKilobytes))) -> "
      + "\(Units.memory(kilobytes: Double(reading.loadedKilobytes))) with \(reading.clients) "
      + "idle clients, \(reading.baselineThreads) -> \(reading.loadedThreads) threads"
  }
}
