#if canImport(Glibc)
  import Glibc
#endif

/// Checks every delivery one subscriber receives and keeps its tallies: one
/// `SequenceTracker` per publisher that publishes on the subscriber's topic, plus counts of
/// garbled and misrouted deliveries.
///
/// A delivery is checked in the order a broker bug would show: the right topic (else
/// misrouted), an intact payload (else garbled), a publisher of this topic (else misrouted),
/// the right sender name (else garbled), and only then its sequence number (first copy,
/// reordered or duplicate). Only first copies are timed.
public struct SubscriberAudit: Sendable {
  /// The subscriber's index.
  public let subscriber: Int
  /// The publishers owed to this subscriber, in slot order.
  public let publishers: [Int]
  /// One tracker per slot.
  public private(set) var trackers: [SequenceTracker]
  /// Payloads, lines, sender names or sequence numbers that are not what was sent.
  public private(set) var garbled = 0
  /// Intact messages for another topic.
  public private(set) var misrouted = 0
  /// The first problem seen, described for the report.
  public private(set) var firstProblem: String?

  private let format: PayloadFormat
  /// The topic every delivery must carry; `nil` when deliveries carry none (Task 2).
  private let topic: [UInt8]?
  /// `slots[publisher]`: the publisher's slot, or -1 if it publishes elsewhere.
  private let slots: [Int]
  /// The sender name each slot's deliveries must carry; empty when not checked.
  private let senders: [[UInt8]]

  /// Creates the audit of subscriber `subscriber` of `workload`.
  ///
  /// - Parameters:
  ///   - topic: The topic its deliveries must carry, or `nil` if they carry none.
  ///   - senderNames: The name the broker gave each publisher, by publisher index, or `nil`
  ///     if deliveries do not name their sender.
  public init(subscriber: Int, workload: Workload, topic: String?, senderNames: [String]?) {
    self.subscriber = subscriber
    publishers = workload.publishers(reaching: subscriber)
    var slots = [Int](repeating: -1, count: workload.publishers)
    for (slot, publisher) in publishers.enumerated() { slots[publisher] = slot }
    self.slots = slots
    trackers = publishers.map { _ in SequenceTracker(expectedCount: workload.messagesPerPublisher) }
    senders = publishers.map { publisher in senderNames.map { Array($0[publisher].utf8) } ?? [] }
    self.topic = topic.map { Array($0.utf8) }
    format = PayloadFormat(size: workload.payloadSize)
  }

  /// Distinct messages received.
  public var deliveredCount: Int { trackers.reduce(0) { $0 + $1.uniqueCount } }

  /// Whether every owed message has arrived.
  public var isComplete: Bool { trackers.allSatisfy(\.isComplete) }

  /// Checks one delivery found by `DeliveryParser` in `bytes`, recording the latency of a
  /// first copy (`receivedAt` minus the payload's send time) in `latencies`.
  public mutating func check(
    _ delivery: Delivery, in bytes: UnsafeRawBufferPointer, receivedAt: UInt64,
    latencies: inout LatencyHistogram
  ) {
    if let topic, let range = delivery.topic, !Self.bytes(bytes, range, equal: topic) {
      misrouted += 1
      note("delivery on topic '\(Self.text(bytes, range))'")
      return
    }
    let stamp: PayloadStamp
    do {
      stamp = try format.decode(UnsafeRawBufferPointer(rebasing: bytes[delivery.payload]))
    } catch {
      garbled += 1
      note("garbled payload (\(error)): '\(Self.text(bytes, delivery.payload))'")
      return
    }
    guard stamp.publisher < slots.count, slots[stamp.publisher] >= 0 else {
      misrouted += 1
      note("message from publisher \(stamp.publisher), which publishes on another topic")
      return
    }
    let slot = slots[stamp.publisher]
    if let range = delivery.sender, !senders[slot].isEmpty,
      !Self.bytes(bytes, range, equal: senders[slot])
    {
      garbled += 1
      note("message of publisher \(stamp.publisher) credited to '\(Self.text(bytes, range))'")
      return
    }
    switch trackers[slot].record(stamp.sequence) {
    case .inOrder:
      latencies.record(receivedAt > stamp.sentAt ? receivedAt - stamp.sentAt : 0)
    case .reordered:
      latencies.record(receivedAt > stamp.sentAt ? receivedAt - stamp.sentAt : 0)
      note("message \(stamp.sequence) of publisher \(stamp.publisher) arrived after a later one")
    case .duplicate:
      note("a second copy of message \(stamp.sequence) of publisher \(stamp.publisher)")
    case .outOfRange:
      garbled += 1
      note("sequence \(stamp.sequence) from publisher \(stamp.publisher) was never sent")
    }
  }

  /// Counts a `MSG` line without the fields of a delivery.
  public mutating func recordMalformed(_ line: String) {
    garbled += 1
    note("malformed delivery '\(line)'")
  }

  /// The tally, with what has not arrived counted as lost.
  public var counts: DeliveryCounts {
    var counts = DeliveryCounts(garbled: garbled, misrouted: misrouted)
    for tracker in trackers {
      counts.expected += tracker.expectedCount
      counts.delivered += tracker.uniqueCount
      counts.lost += tracker.missingCount
      counts.duplicated += tracker.duplicateCount
      counts.reordered += tracker.reorderedCount
    }
    return counts
  }

  /// The first missing message, described, if any is missing.
  public var firstMissing: String? {
    for (slot, publisher) in publishers.enumerated() {
      if let sequence = trackers[slot].firstMissing {
        return "subscriber \(subscriber) never got message \(sequence) of publisher \(publisher)"
      }
    }
    return nil
  }

  private mutating func note(_ problem: @autoclosure () -> String) {
    if firstProblem == nil { firstProblem = "subscriber \(subscriber): " + problem() }
  }

  private static func bytes(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, equal expected: [UInt8]
  ) -> Bool {
    guard range.count == expected.count else { return false }
    guard !expected.isEmpty else { return true }
    return expected.withUnsafeBytes { expected in
      memcmp(bytes.baseAddress! + range.lowerBound, expected.baseAddress!, range.count) == 0
    }
  }

  private static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
    String(decoding: bytes[range].prefix(80), as: UTF8.self)
  }
}
