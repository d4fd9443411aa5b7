import BenchmarkKit
import Testing

/// Two publishers on one topic, five messages each; subscriber 0 is owed all ten.
private let workload = Workload(
  publishers: 2, subscribers: 1, topics: 1, messagesPerPublisher: 5, payloadSize: 48)
private let format = PayloadFormat(size: 48)
private let names = ["alice", "bob"]

/// A Task 3 delivery line of message `sequence` from `publisher`, sent at time 1,000.
private func line(
  _ publisher: Int, _ sequence: Int, topic: String = "t0", sender: String? = nil
) -> [UInt8] {
  let payload = format.encode(PayloadStamp(publisher: publisher, sequence: sequence, sentAt: 1_000))
  return Array("MSG \(topic) \(sender ?? names[publisher]) ".utf8) + payload + [0x0A]
}

/// Every message of both publishers, interleaved, in order.
private var everything: [[UInt8]] {
  (0..<5).flatMap { sequence in [line(0, sequence), line(1, sequence)] }
}

/// Runs `lines` through the parser and an audit of subscriber 0, as a subscriber session
/// does, receiving everything at time 1,500.
private func audit(_ lines: [[UInt8]], workload: Workload = workload) throws -> (
  SubscriberAudit, LatencyHistogram
) {
  var audit = SubscriberAudit(subscriber: 0, workload: workload, topic: "t0", senderNames: names)
  var latencies = LatencyHistogram()
  let parser = DeliveryParser(wireProtocol: .task3)
  let stream = lines.flatMap { $0 }
  try stream.withUnsafeBytes { bytes in
    var offset = 0
    while let (item, consumed) = try parser.next(
      in: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
    {
      let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
      switch item {
      case .delivery(let delivery):
        audit.check(delivery, in: rest, receivedAt: 1_500, latencies: &latencies)
      case .malformedDelivery(let text):
        audit.recordMalformed(text)
      default:
        Issue.record("unexpected item \(item)")
      }
      offset += consumed
    }
  }
  return (audit, latencies)
}

@Suite("SubscriberAudit")
struct SubscriberAuditTests {
  @Test("every message once and in order is clean, and each is timed")
  func clean() throws {
    let (audit, latencies) = try audit(everything)
    #expect(audit.counts == DeliveryCounts(expected: 10, delivered: 10))
    #expect(audit.counts.isClean)
    #expect(audit.isComplete)
    #expect(audit.firstProblem == nil)
    #expect(latencies.count == 10)
    #expect(latencies.maximum == 500)
  }

  @Test("a missing message is lost and named")
  func loss() throws {
    let (audit, _) = try audit(everything.filter { $0 != line(1, 3) })
    #expect(audit.counts.lost == 1)
    #expect(!audit.counts.isClean)
    #expect(audit.firstMissing == "subscriber 0 never got message 3 of publisher 1")
  }

  @Test("a second copy is a duplicate and is not timed again")
  func duplicate() throws {
    let (audit, latencies) = try audit(everything + [line(0, 2)])
    #expect(audit.counts.duplicated == 1)
    #expect(audit.counts.delivered == 10)
    #expect(!audit.counts.isClean)
    #expect(latencies.count == 10)
  }

  @Test("a message after a later one from the same publisher is reordered")
  func reordered() throws {
    var lines = everything
    lines.swapAt(2, 4)  // publisher 0's messages 1 and 2
    let (audit, _) = try audit(lines)
    #expect(audit.counts.reordered == 1)
    #expect(audit.counts.lost == 0)
    #expect(!audit.counts.isClean)
  }

  @Test("interleaving between publishers is not reordering")
  func publishersInterleave() throws {
    let lines = (0..<5).map { line(0, $0) } + (0..<5).map { line(1, $0) }
    let (audit, _) = try audit(lines)
    #expect(audit.counts.isClean)
  }

  @Test("a damaged payload is garbled, and the message it was is lost")
  func garbled() throws {
    var damaged = line(0, 4)
    damaged[damaged.count - 5] ^= 0x01
    let (audit, _) = try audit(everything.filter { $0 != line(0, 4) } + [damaged])
    #expect(audit.counts.garbled == 1)
    #expect(audit.counts.lost == 1)
    #expect(audit.firstProblem?.contains("garbled payload") == true)
  }

  @Test("a message credited to the wrong sender is garbled")
  func wrongSender() throws {
    let (audit, _) = try audit(everything + [line(0, 0, sender: "bob")])
    #expect(audit.counts.garbled == 1)
  }

  @Test("a malformed MSG line is garbled")
  func malformed() throws {
    let (audit, _) = try audit(everything + [Array("MSG t0\n".utf8)])
    #expect(audit.counts.garbled == 1)
  }

  @Test("a delivery on another topic, or from a publisher of another topic, is misrouted")
  func misrouted() throws {
    // With two topics, publisher 1 publishes on t1 and subscriber 0 (on t0) is owed only
    // publisher 0's messages.
    let twoTopics = Workload(
      publishers: 2, subscribers: 2, topics: 2, messagesPerPublisher: 5, payloadSize: 48)
    let owed = (0..<5).map { line(0, $0) }
    let (clean, _) = try audit(owed, workload: twoTopics)
    #expect(clean.counts == DeliveryCounts(expected: 5, delivered: 5))
    let (wrongTopic, _) = try audit(owed + [line(0, 1, topic: "t1")], workload: twoTopics)
    #expect(wrongTopic.counts.misrouted == 1)
    let (wrongPublisher, _) = try audit(owed + [line(1, 0)], workload: twoTopics)
    #expect(wrongPublisher.counts.misrouted == 1)
  }
}
