import BenchmarkKit
import Foundation
import Task1Echo

/// One run of a workload against one target: connect, publish, wait for every owed delivery
/// (or the first failure, or a deadline), then tally.
struct WorkloadRun {
  /// The longest any run may take, whatever progress it makes: the last-resort deadline
  /// behind the stall timeout.
  static let runDeadline: Duration = .seconds(900)
  /// How long to keep reading after the last owed delivery, to catch late duplicates.
  static let quietPeriod: Duration = .milliseconds(100)

  let target: Target
  let workload: Workload
  let repetition: Int
  /// Distinguishes this run's topics from earlier runs' on the same broker.
  let runID: Int
  let readerThreads: Int
  let stallTimeout: Duration
  let broker: BrokerProcess?

  /// The topic name of topic `index`.
  func topicName(_ index: Int) -> String { "bench.r\(runID).t\(index)" }

  /// Runs and measures. A failure is part of the measurement, never thrown.
  func measure() -> RunMeasurement {
    var failed = RunMeasurement(
      target: target.name, repetition: repetition, seconds: 0,
      counts: DeliveryCounts(expected: workload.expectedDeliveries),
      latency: LatencySummary(LatencyHistogram()))
    do {
      return try run()
    } catch {
      failed.failure = error.description
      failed.counts.lost = failed.counts.expected
      return failed
    }
  }

  private func run() throws(BenchFailure) -> RunMeasurement {
    let wireProtocol = target.wireProtocol
    let control = RunControl()

    // Subscribers first, each confirmed, so that no message is published before every
    // subscription is in place.
    let subscriberConnections = try connect(workload.subscribers, as: "subscriber") { index in
      wireProtocol.subscriberHandshake(topic: topicName(workload.topic(of: index)))
    }
    defer { subscriberConnections.forEach { $0.connection.close() } }
    let publisherConnections = try connect(workload.publishers, as: "publisher") { _ in
      wireProtocol.publisherHandshake()
    }
    defer { publisherConnections.forEach { $0.connection.close() } }

    let sessions = subscriberConnections.enumerated().map { index, connected in
      SubscriberSession(
        index: index, connection: connected.connection, workload: workload,
        topicName: topicName(workload.topic(of: index)),
        publisherNames: publisherConnections.map(\.name), wireProtocol: wireProtocol)
    }
    control.completedSubscribers.add(
      sessions.filter { $0.completedAt != nil }.count, ordering: .sequentiallyConsistent)
    let publishers = publisherConnections.enumerated().map { index, connected in
      Publisher(
        index: index, connection: connected.connection, workload: workload,
        topicName: topicName(workload.topic(of: index)), wireProtocol: wireProtocol,
        subscribers: workload.subscribers(reachedBy: index).map { subscriber in
          sessions[subscriber].progress[
            workload.publishers(reaching: subscriber).firstIndex(of: index)!]
        },
        stallTimeout: stallTimeout)
    }
    let threadCount = max(1, min(readerThreads, sessions.count))
    let readers = (0..<threadCount).map { thread in
      SubscriberReader(
        sessions: stride(from: thread, to: sessions.count, by: threadCount).map { sessions[$0] })
    }

    let threads = DispatchGroup()
    for reader in readers {
      startThread(in: threads, name: "reader") { reader.run(control: control) }
    }
    let brokerCPUBefore = broker?.cpuSeconds()
    let clientCPUBefore = Clock.processCPUSeconds()
    let start = Clock.now()
    for publisher in publishers {
      startThread(in: threads, name: "publisher") {
        publisher.run(startedAt: start, control: control)
      }
    }

    waitForCompletion(control: control, start: start)
    let allComplete = sessions.allSatisfy { $0.completedAt != nil }
    let end = allComplete ? sessions.compactMap(\.completedAt).max() ?? start : Clock.now()
    if !control.hasFailed { waitQuietly(control: control) }
    let clientCPU = Clock.processCPUSeconds() - clientCPUBefore
    let brokerCPUAfter = broker?.cpuSeconds()
    control.finish()
    subscriberConnections.forEach { $0.connection.close() }
    publisherConnections.forEach { $0.connection.close() }
    if threads.wait(timeout: .now() + .seconds(10)) == .timedOut {
      // Every thread wakes at least every 50 ms and the sockets are shut down, so this means
      // a bug; reading the sessions now would race with the stuck thread.
      Console.standardError.writeLine("pubsub-bench: a benchmark thread did not stop within 10 s")
      exit(ExitStatus.failure.rawValue)
    }

    var measurement = tally(sessions: sessions, readers: readers, control: control)
    measurement.seconds = Double(max(end, start) - start) / 1e9
    measurement.brokerCPUSeconds = brokerCPUBefore.flatMap { before in
      brokerCPUAfter.map { $0 - before }
    }
    measurement.clientCPUSeconds = clientCPU
    return measurement
  }

  /// Opens `count` connections and runs each one's handshake.
  ///
  /// - Returns: Each connection with the name the broker gave it.
  private func connect(
    _ count: Int, as role: String, handshake: (Int) -> [HandshakeStep]
  ) throws(BenchFailure) -> [(connection: BrokerConnection, name: String)] {
    var connected: [(connection: BrokerConnection, name: String)] = []
    connected.reserveCapacity(count)
    do {
      for index in 0..<count {
        let connection = try BrokerConnection(
          to: target, label: "\(role) \(index)", timeout: stallTimeout)
        connected.append((connection, ""))
        connected[index].name = try connection.perform(
          handshake(index), pong: target.wireProtocol.pong)
      }
    } catch {
      connected.forEach { $0.connection.close() }
      throw error
    }
    return connected
  }

  /// Adds up what the subscribers saw, and says why the run failed if it did: the reason it
  /// stopped, then the first thing wrong with what arrived, then the first thing missing.
  private func tally(
    sessions: [SubscriberSession], readers: [SubscriberReader], control: RunControl
  ) -> RunMeasurement {
    var counts = DeliveryCounts()
    var histogram = LatencyHistogram()
    for session in sessions { counts += session.audit.counts }
    for reader in readers { histogram.merge(reader.histogram) }
    let reasons = [
      control.failure, sessions.lazy.compactMap(\.audit.firstProblem).first,
      counts.lost == 0 ? nil : sessions.lazy.compactMap(\.audit.firstMissing).first,
    ]
    .compactMap { $0 }
    return RunMeasurement(
      target: target.name, repetition: repetition, seconds: 0, counts: counts,
      latency: LatencySummary(histogram),
      failure: reasons.isEmpty ? nil : reasons.joined(separator: "; "))
  }

  /// Waits until every subscriber has everything, the run fails, nothing arrives for the
  /// stall timeout, or the run deadline passes.
  private func waitForCompletion(control: RunControl, start: UInt64) {
    let stall = Clock.nanoseconds(stallTimeout)
    let deadline = start + Clock.nanoseconds(Self.runDeadline)
    var lastCount = -1
    var lastChange = start
    func isDone() -> Bool {
      control.hasFailed
        || control.completedSubscribers.load(ordering: .sequentiallyConsistent)
          == workload.subscribers
    }
    while !isDone() {
      let now = Clock.now()
      let count = control.delivered.load(ordering: .sequentiallyConsistent)
      if count != lastCount {
        lastCount = count
        lastChange = now
      } else if now - lastChange > stall {
        control.fail(
          "stalled: \(count) of \(workload.expectedDeliveries) deliveries, none for "
            + "\(stall / 1_000_000_000) s")
        return
      }
      if now > deadline {
        control.fail("not finished after \(Self.runDeadline): \(count) deliveries")
        return
      }
      control.waitForProgress(timeout: .milliseconds(50)) { !isDone() }
    }
  }

  /// Keeps the readers reading for the quiet period, so that a copy of a message delivered
  /// after the last original is still seen and counted as a duplicate.
  private func waitQuietly(control: RunControl) {
    let end = Clock.now() + Clock.nanoseconds(Self.quietPeriod)
    while Clock.now() < end && !control.hasFailed {
      control.waitForProgress(timeout: .milliseconds(20)) { true }
    }
  }

  private func startThread(
    in group: DispatchGroup, name: String, _ body: @escaping @Sendable () -> Void
  ) {
    group.enter()
    let thread = Thread {
      body()
      group.leave()
    }
    thread.name = name
    thread.start()
  }
}
