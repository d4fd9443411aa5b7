import BenchmarkKit

/// One publisher connection and the thread that sends its messages.
///
/// It sends in batches (many messages per `send`): one system call per message would cap the
/// publisher far below what a good broker can take, and the benchmark would measure itself.
/// In closed loop it never has more than `window` messages in flight beyond the slowest
/// subscriber of its topic; in open loop it sends at a fixed rate and stamps each message
/// with the time it was due, not the time it went out, so a broker that holds the publisher
/// back is charged for the delay (no "coordinated omission").
final class Publisher: @unchecked Sendable {
  /// Bytes per batch: enough to amortise the system call, small enough to keep the data
  /// flowing to subscribers while the next batch is built.
  static let batchBytes = 64 * 1024

  /// The publisher's index.
  let index: Int
  /// Its connection; only this publisher's thread uses it after the handshake.
  let connection: BrokerConnection
  /// Messages sent so far; only the publisher's thread touches it.
  private var sent = 0

  private let workload: Workload
  private let frame: Frame
  private let format: PayloadFormat
  private let parser: DeliveryParser
  private let pong: [UInt8]
  /// The progress of each subscriber this publisher reaches, counting this publisher's
  /// messages.
  private let subscribers: [PairProgress]
  private let stallTimeout: UInt64

  /// Creates publisher `index` of `workload`, which publishes on `topicName`.
  init(
    index: Int, connection: BrokerConnection, workload: Workload, topicName: String,
    wireProtocol: WireProtocol, subscribers: [PairProgress], stallTimeout: Duration
  ) {
    self.index = index
    self.connection = connection
    self.workload = workload
    frame = wireProtocol.publishFrame(topic: topicName, payloadSize: workload.payloadSize)
    format = PayloadFormat(size: workload.payloadSize)
    parser = DeliveryParser(wireProtocol: wireProtocol)
    pong = wireProtocol.pong
    self.subscribers = subscribers
    self.stallTimeout = Clock.nanoseconds(stallTimeout)
  }

  /// Sends every message, or stops at the run's first failure.
  ///
  /// - Parameter start: The run's start (monotonic ns), from which a fixed rate is paced.
  func run(startedAt start: UInt64, control: RunControl) {
    let frameSize = frame.size(payloadSize: workload.payloadSize)
    let perBatch = max(1, Self.batchBytes / frameSize)
    let batch = UnsafeMutableRawBufferPointer.allocate(
      byteCount: perBatch * frameSize, alignment: 16)
    defer { batch.deallocate() }
    let total = workload.messagesPerPublisher
    var slowestSeen = -1
    var slowestChangedAt = start
    var lastPoll = start

    do throws(BenchFailure) {
      while sent < total && !control.hasFailed {
        let now = Clock.now()
        let allowed: Int
        if let rate = workload.rate {
          let due = min(total, Int(Double(now - start) * Double(rate) / 1e9) + 1)
          if due <= sent {
            // Wake for the next message, but at least every 50 ms to notice a failure.
            Clock.sleep(until: min(scheduledTime(of: sent, start: start), now + 50_000_000))
            continue
          }
          allowed = due - sent
        } else {
          let slowest = slowestSubscriber()
          if slowest != slowestSeen {
            slowestSeen = slowest
            slowestChangedAt = now
          }
          if sent - slowest >= workload.window {
            if now - slowestChangedAt > stallTimeout {
              throw BenchFailure(
                "publisher \(index): no subscriber progress for \(stallTimeout / 1_000_000_000) s "
                  + "(slowest subscriber has \(slowest) of the \(sent) messages sent)")
            }
            control.waitForProgress(timeout: .milliseconds(20)) {
              sent - slowestSubscriber() >= workload.window
            }
            continue
          }
          allowed = workload.window - (sent - slowest)
        }
        let count = min(allowed, total - sent, perBatch)
        let stampTime = workload.rate == nil ? Clock.now() : 0
        for offset in 0..<count {
          let sequence = sent + offset
          let sentAt = workload.rate == nil ? stampTime : scheduledTime(of: sequence, start: start)
          write(
            PayloadStamp(publisher: index, sequence: sequence, sentAt: sentAt),
            to: batch.baseAddress! + offset * frameSize)
        }
        try connection.send(UnsafeRawBufferPointer(rebasing: batch[0..<(count * frameSize)]))
        sent += count
        if now - lastPoll > 10_000_000 {
          lastPoll = now
          try answerBroker()
        }
      }
    } catch {
      control.fail(error.description)
    }
  }

  /// The monotonic time message `sequence` is due in open loop.
  private func scheduledTime(of sequence: Int, start: UInt64) -> UInt64 {
    start + UInt64(Double(sequence) * 1e9 / Double(workload.rate ?? 1))
  }

  /// The fewest of this publisher's messages any subscriber of its topic has received.
  private func slowestSubscriber() -> Int {
    var slowest = sent
    for subscriber in subscribers {
      slowest = min(slowest, subscriber.received.load(ordering: .sequentiallyConsistent))
    }
    return slowest
  }

  private func write(_ stamp: PayloadStamp, to destination: UnsafeMutableRawPointer) {
    var next = destination
    frame.prefix.withUnsafeBytes { next.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    next += frame.prefix.count
    format.write(stamp, to: next)
    next += workload.payloadSize
    frame.suffix.withUnsafeBytes { next.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
  }

  /// Reads, without waiting, anything the broker sent this publisher: answers `PING`, and
  /// fails on an error or anything else (a publisher is sent nothing else on success).
  private func answerBroker() throws(BenchFailure) {
    while true {
      switch try connection.receive(waiting: false) {
      case .wouldBlock:
        return
      case .closed:
        throw BenchFailure("publisher \(index): the broker closed the connection")
      case .received:
        let bytes = connection.unconsumed
        var offset = 0
        defer { connection.consume(offset) }
        while offset < bytes.count {
          let next: (item: Incoming, consumed: Int)?
          do {
            next = try parser.next(in: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
          } catch {
            throw BenchFailure("publisher \(index): \(error)")
          }
          guard let (item, consumed) = next else { break }
          offset += consumed
          switch item {
          case .ping: try connection.send(pong)
          case .ignored: break
          case .serverError(let line):
            throw BenchFailure("publisher \(index): the broker sent '\(line)'")
          case .delivery, .malformedDelivery, .unexpected:
            throw BenchFailure("publisher \(index): unexpected data from the broker")
          }
        }
      }
    }
  }
}
