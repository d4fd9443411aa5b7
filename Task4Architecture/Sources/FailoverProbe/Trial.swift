import Foundation
import Task1Echo
import Task2Roles
import Task4Architecture

#if canImport(Glibc)
  import Glibc
#endif

/// How the primary is made to fail.
enum FailureMode: String, CaseIterable {
  /// `kill -9`: the process dies and the kernel closes its sockets (the closed-connection path).
  case kill = "kill -9"
  /// `kill -STOP`: the process freezes with its sockets open (the silence path); it is woken
  /// with `kill -CONT` after the trial and must step down.
  case stop = "kill -STOP"
}

/// What one trial measured.
struct TrialResult {
  var mode: FailureMode
  /// From the signal to the backup's "primary lost" line.
  var detection: Duration?
  /// From the signal to the first `+ACK` from the new primary.
  var publishResumed: Duration?
  /// From the signal to the first message the subscriber received from the new primary.
  var deliveryResumed: Duration?
  var acknowledged = 0
  var received = 0
  var lost = 0
  var duplicates = 0
  var orderBreaks = 0
  var newEpoch: UInt64 = 0
  /// Whether the old primary, restarted (or woken), joined as backup and never served.
  var rejoinedAsBackup = false
  var problems: [String] = []

  var isClean: Bool {
    lost == 0 && duplicates == 0 && orderBreaks == 0 && received == acknowledged
      && acknowledged > 0 && rejoinedAsBackup && problems.isEmpty
  }
}

/// What the in-process clients saw, written by their threads. Each field is guarded by the
/// `Guarded` box that holds the recorder.
private struct Recorder {
  var sequences: [Int] = []
  var connections = 0
  /// The number of connections made before the failure; the next one is the failover.
  /// `Int.max` until the failure.
  var connectionsBeforeFailure = Int.max
  var highestAcknowledged: UInt64 = 0
  var firstAfterFailover: ContinuousClock.Instant?
  var newEpoch: UInt64 = 0
}

/// Runs one trial: a fresh primary and backup on free ports, one subscriber, one publisher
/// streaming `messages` as fast as its window allows; at the halfway acknowledgement the
/// primary is failed with `mode`. Then the old primary is brought back and must join as backup.
func runTrial(mode: FailureMode, messages: Int, products: URL) throws -> TrialResult {
  let broker = products.appendingPathComponent("task4-broker")
  var result = TrialResult(mode: mode)
  let primary = try ChildProcess(
    executable: broker, arguments: ["0", "--start-as", "primary", "--quiet"])
  defer { primary.stop() }
  let primaryPort = try port(of: primary)
  let backup = try ChildProcess(
    executable: broker, arguments: ["0", "--peer", "127.0.0.1:\(primaryPort)", "--quiet"])
  defer { backup.stop() }
  let backupPort = try port(of: backup)
  guard backup.waitForLine(containing: "BACKUP of", timeout: .seconds(10)) != nil else {
    throw ProbeError("the backup never joined")
  }
  let addresses = [
    BrokerAddress(host: "127.0.0.1", port: primaryPort),
    BrokerAddress(host: "127.0.0.1", port: backupPort),
  ]

  let subscribed = Guarded(Recorder())
  let joined = DispatchSemaphore(value: 0)
  let subscriber = FailoverClient(
    configuration: .init(addresses: addresses, role: .subscriber, topics: ["bench"])
  ) { event in
    switch event {
    case .connected(_, _, let epoch, _, _, _, _):
      subscribed.withLock {
        $0.connections += 1
        $0.newEpoch = epoch
      }
      joined.signal()
    case .message(_, _, _, let text):
      let now = ContinuousClock.now
      subscribed.withLock {
        if $0.connections > $0.connectionsBeforeFailure && $0.firstAfterFailover == nil {
          $0.firstAfterFailover = now
        }
        $0.sequences.append(Int(text.dropFirst()) ?? -1)
      }
    default:
      break
    }
  }
  subscriber.start()
  defer { subscriber.stop() }
  guard joined.wait(timeout: .now() + 10) == .success else {
    throw ProbeError("the subscriber never joined")
  }

  let published = Guarded(Recorder())
  let halfway = DispatchSemaphore(value: 0)
  let publisher = FailoverClient(
    configuration: .init(addresses: addresses, role: .publisher, topics: ["bench"], name: "probe")
  ) { event in
    switch event {
    case .connected(_, _, let epoch, _, _, _, _):
      published.withLock {
        $0.connections += 1
        $0.newEpoch = epoch
      }
    case .acknowledged(let sequence):
      let now = ContinuousClock.now
      let crossed = published.withLock { record -> Bool in
        if record.connections > record.connectionsBeforeFailure
          && record.firstAfterFailover == nil
        {
          record.firstAfterFailover = now
        }
        let before = record.highestAcknowledged
        record.highestAcknowledged = max(before, sequence)
        return before < UInt64(messages / 2) && sequence >= UInt64(messages / 2)
      }
      if crossed { halfway.signal() }
    default:
      break
    }
  }
  publisher.start()
  defer { publisher.stop() }
  let fed = DispatchSemaphore(value: 0)
  let feeder = Thread {
    for number in 1...messages { publisher.publish("m\(number)", on: "bench") }
    fed.signal()
  }
  feeder.start()

  guard halfway.wait(timeout: .now() + 30) == .success else {
    throw ProbeError("the publisher never reached the halfway acknowledgement")
  }
  let linesBefore = backup.lineCount
  for recorder in [subscribed, published] {
    recorder.withLock { $0.connectionsBeforeFailure = $0.connections }
  }
  let failedAt = ContinuousClock.now
  primary.send(mode == .kill ? SIGKILL : SIGSTOP)

  if let lost = backup.waitForLine(
    containing: "primary lost", after: linesBefore, timeout: .seconds(10))
  {
    result.detection = lost.arrival - failedAt
  } else {
    result.problems.append("the backup never reported the primary lost")
  }
  if fed.wait(timeout: .now() + 30) == .timedOut {
    result.problems.append("the publisher could not hand over every message in 30 s")
  }
  let remaining = publisher.finish(before: .now + .seconds(30))
  if remaining > 0 { result.problems.append("\(remaining) messages never acknowledged") }
  let deadline = ContinuousClock.now + .seconds(30)
  while subscribed.value.sequences.count < messages && ContinuousClock.now < deadline {
    usleep(2_000)  // polling the recorder, with a deadline
  }
  usleep(50_000)  // a moment for any duplicate to show up before counting

  let seen = subscribed.value
  let sent = published.value
  result.acknowledged = Int(sent.highestAcknowledged)
  result.received = seen.sequences.count
  result.duplicates = seen.sequences.count - Set(seen.sequences).count
  result.lost = Set(1...max(1, result.acknowledged)).subtracting(seen.sequences).count
  result.orderBreaks = zip(seen.sequences, seen.sequences.dropFirst()).filter { $0 >= $1 }.count
  result.publishResumed = sent.firstAfterFailover.map { $0 - failedAt }
  result.deliveryResumed = seen.firstAfterFailover.map { $0 - failedAt }
  result.newEpoch = seen.newEpoch
  let falseAlarms = seen.connectionsBeforeFailure - 1 + sent.connectionsBeforeFailure - 1
  if falseAlarms > 0 {
    result.problems.append("\(falseAlarms) reconnection(s) before the failure (false alarms)")
  }

  result.rejoinedAsBackup = try bringBack(
    primary, mode: mode, backupPort: backupPort, broker: broker)
  if !result.rejoinedAsBackup {
    let said = (primary.lastLines(8) + ["-- the new primary:"] + backup.lastLines(8))
    result.problems.append(
      "the old primary did not rejoin as backup:\n    " + said.joined(separator: "\n    "))
  }
  return result
}

/// Restarts (after `kill -9`) or wakes (after `kill -STOP`) the old primary, and checks that it
/// joins the new primary as backup without ever acting as primary.
private func bringBack(
  _ primary: ChildProcess, mode: FailureMode, backupPort: UInt16, broker: URL
) throws -> Bool {
  switch mode {
  case .kill:
    let restarted = try ChildProcess(
      executable: broker,
      arguments: ["0", "--peer", "127.0.0.1:\(backupPort)", "--start-as", "primary", "--quiet"])
    defer { restarted.stop() }
    guard restarted.waitForLine(containing: "BACKUP of", timeout: .seconds(10)) != nil else {
      return false
    }
    return restarted.waitForLine(containing: "PRIMARY in", timeout: .zero) == nil
  case .stop:
    let before = primary.lineCount
    primary.send(SIGCONT)
    guard
      primary.waitForLine(containing: "stepping down", after: before, timeout: .seconds(10)) != nil,
      primary.waitForLine(containing: "BACKUP of", after: before, timeout: .seconds(10)) != nil
    else { return false }
    return primary.waitForLine(containing: "PRIMARY in", after: before, timeout: .zero) == nil
  }
}

/// Reads the port a broker reports in its first line.
private func port(of broker: ChildProcess) throws -> UInt16 {
  guard let line = broker.waitForLine(containing: "listening on port ", timeout: .seconds(10)),
    let port = UInt16(
      line.text.components(separatedBy: "listening on port ")[1].prefix { $0.isNumber })
  else { throw ProbeError("a broker did not report its port") }
  return port
}

/// A trial that could not be run.
struct ProbeError: Error, CustomStringConvertible {
  let description: String

  init(_ description: String) {
    self.description = description
  }
}
