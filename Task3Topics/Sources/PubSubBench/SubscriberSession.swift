import BenchmarkKit

/// One subscriber connection during a run: it receives, hands each delivery to its
/// `SubscriberAudit`, answers keepalives and publishes its progress for the publishers'
/// windows.
///
/// A session belongs to exactly one reader thread while the run lasts; the main thread reads
/// its audit only after that thread has ended. Only `progress` is shared while running.
final class SubscriberSession: @unchecked Sendable {
  /// The subscriber's index.
  let index: Int
  /// Its connection.
  let connection: BrokerConnection
  /// The checks and tallies of everything received.
  private(set) var audit: SubscriberAudit
  /// Distinct messages received from each publisher owed, by the audit's slot; published
  /// after every chunk.
  let progress: [PairProgress]
  /// When the last owed message arrived (monotonic ns), once it has; 0 if none was owed.
  private(set) var completedAt: UInt64?
  /// Whether the connection is still being read: false once the broker closed it.
  private(set) var isOpen = true

  private let parser: DeliveryParser
  private let pong: [UInt8]

  /// Creates a session for subscriber `index` of `workload`.
  ///
  /// - Parameter publisherNames: The name each publisher was given in its handshake.
  init(
    index: Int, connection: BrokerConnection, workload: Workload, topicName: String,
    publisherNames: [String], wireProtocol: WireProtocol
  ) {
    self.index = index
    self.connection = connection
    audit = SubscriberAudit(
      subscriber: index, workload: workload,
      topic: wireProtocol.supportsTopics ? topicName : nil,
      senderNames: wireProtocol.namesSender ? publisherNames : nil)
    progress = audit.publishers.map { _ in PairProgress() }
    parser = DeliveryParser(wireProtocol: wireProtocol)
    pong = wireProtocol.pong
    if audit.publishers.isEmpty { completedAt = 0 }
  }

  /// Reads and checks everything that has arrived, without waiting.
  ///
  /// - Returns: The number of new distinct deliveries.
  func readAvailable(histogram: inout LatencyHistogram, control: RunControl) -> Int {
    guard isOpen else { return 0 }
    let before = audit.deliveredCount
    do {
      // First whatever is already buffered (bytes the handshake read past its reply), so
      // that it is handled before an end of stream that may follow it.
      if !connection.unconsumed.isEmpty {
        try parseReceived(receivedAt: Clock.now(), histogram: &histogram)
      }
      reading: while true {
        switch try connection.receive(waiting: false) {
        case .wouldBlock:
          break reading
        case .closed:
          isOpen = false
          if !control.isFinished {
            control.fail("subscriber \(index): the broker closed the connection")
          }
          break reading
        case .received(let filled):
          try parseReceived(receivedAt: Clock.now(), histogram: &histogram)
          if !filled { break reading }
        }
      }
    } catch {
      isOpen = false
      if !control.isFinished { control.fail(error.description) }
    }
    let added = audit.deliveredCount - before
    if added > 0 { publishProgress(control: control) }
    return added
  }

  private func publishProgress(control: RunControl) {
    for slot in progress.indices {
      progress[slot].received.store(
        audit.trackers[slot].uniqueCount, ordering: .sequentiallyConsistent)
    }
    if completedAt == nil && audit.isComplete {
      completedAt = Clock.now()
      control.completedSubscribers.add(1, ordering: .sequentiallyConsistent)
    }
  }

  /// Handles every complete item in the buffer. Every message in one chunk is given the
  /// chunk's arrival time: it was all in the socket by then.
  private func parseReceived(receivedAt now: UInt64, histogram: inout LatencyHistogram)
    throws(BenchFailure)
  {
    let bytes = connection.unconsumed
    var offset = 0
    defer { connection.consume(offset) }
    while offset < bytes.count {
      let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
      let next: (item: Incoming, consumed: Int)?
      do {
        next = try parser.next(in: rest)
      } catch {
        throw BenchFailure("subscriber \(index): \(error)")
      }
      guard let (item, consumed) = next else { return }
      switch item {
      case .delivery(let delivery):
        audit.check(delivery, in: rest, receivedAt: now, latencies: &histogram)
      case .ping:
        try connection.send(pong)
      case .ignored:
        break
      case .serverError(let line):
        throw BenchFailure("subscriber \(index): the broker sent '\(line)'")
      case .unexpected(let line):
        throw BenchFailure("subscriber \(index): unexpected line from the broker: '\(line)'")
      case .malformedDelivery(let line):
        audit.recordMalformed(line)
      }
      offset += consumed
    }
  }
}
