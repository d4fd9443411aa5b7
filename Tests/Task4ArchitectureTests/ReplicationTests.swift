import Task4Architecture
import Testing

/// An entry on `topic` with index `index`, text `m<index>`.
private func entry(
  _ index: UInt64, on topic: String = "news", from producer: String? = nil, sequence: UInt64 = 0
) -> LogEntry {
  LogEntry(
    index: index, epoch: 1, topic: topic, sender: "alice",
    origin: producer.map { LogEntry.Origin(producer: $0, sequence: sequence) }, text: "m\(index)")
}

@Suite("Replicated log and retention")
struct ReplicatedLogTests {
  @Test("entries come back in index order, after a position and up to another")
  func catchUpRange() {
    var log = ReplicatedLog()
    for index in UInt64(1)...10 { log.append(entry(index)) }
    let (entries, expired) = log.entries(after: 3, through: 7) { $0 == "news" }
    #expect(entries.map(\.index) == [4, 5, 6, 7])
    #expect(expired == 0)
    #expect(log.lastIndex == 10)
  }

  @Test("each topic keeps its own newest messages, so a busy topic cannot evict a quiet one")
  func retentionPerTopic() {
    var log = ReplicatedLog(limits: RetentionLimits(maximumMessages: 3, maximumBytes: 1 << 20))
    log.append(entry(1, on: "quiet"))
    for index in UInt64(2)...20 { log.append(entry(index, on: "busy")) }
    #expect(log.retainedCount(onTopic: "quiet") == 1)
    #expect(log.retainedCount(onTopic: "busy") == 3)
    #expect(log.retainedEntries.map(\.index) == [1, 18, 19, 20])
    #expect(log.lastIndex == 20)  // retention never lowers the index
  }

  @Test("a subscriber that was away too long is told how many messages expired")
  func expiredCount() {
    var log = ReplicatedLog(limits: RetentionLimits(maximumMessages: 3, maximumBytes: 1 << 20))
    for index in UInt64(1)...8 { log.append(entry(index)) }
    let (entries, expired) = log.entries(after: 2, through: 8) { _ in true }
    #expect(entries.map(\.index) == [6, 7, 8])
    #expect(expired == 3)  // 3, 4 and 5 were dropped
    #expect(log.entries(after: 5, through: 8) { _ in true }.expired == 0)
  }

  @Test("the byte limit drops the oldest entries but always keeps the newest")
  func byteLimit() {
    let size = entry(1).retainedByteCount
    var log = ReplicatedLog(
      limits: RetentionLimits(maximumMessages: 100, maximumBytes: size * 2 + size / 2))
    for index in UInt64(1)...5 { log.append(entry(index)) }
    #expect(log.retainedEntries.map(\.index) == [4, 5])
    var tiny = ReplicatedLog(limits: RetentionLimits(maximumMessages: 100, maximumBytes: 1))
    tiny.append(entry(1))
    tiny.append(entry(2))
    #expect(tiny.retainedEntries.map(\.index) == [2])
  }

  @Test("catch-up merges several matching topics by index and skips the others")
  func mergesTopics() {
    var log = ReplicatedLog()
    let topics = ["sports.football", "news", "sports.tennis", "weather", "sports.football"]
    for (offset, topic) in topics.enumerated() { log.append(entry(UInt64(offset + 1), on: topic)) }
    let (entries, _) = log.entries(after: 0, through: 5) { $0.hasPrefix("sports.") }
    #expect(entries.map(\.index) == [1, 3, 5])
  }

  @Test("a snapshot's newest expired entries still move the last index")
  func advance() {
    var log = ReplicatedLog()
    log.append(entry(3))
    log.advance(to: 9)
    #expect(log.lastIndex == 9)
    log.advance(to: 4)
    #expect(log.lastIndex == 9)
  }
}

@Suite("Deduplication by (producer, sequence)")
struct DeduplicationTableTests {
  @Test("new, duplicate and gap")
  func verdicts() {
    var table = DeduplicationTable()
    #expect(table.verdict(producer: "p1", sequence: 1) == .new)
    table.record(producer: "p1", sequence: 1, index: 10)
    table.record(producer: "p1", sequence: 2, index: 12)
    #expect(table.verdict(producer: "p1", sequence: 3) == .new)
    #expect(table.verdict(producer: "p1", sequence: 2) == .duplicate(index: 12))
    #expect(table.verdict(producer: "p1", sequence: 1) == .duplicate(index: 12))
    #expect(table.verdict(producer: "p1", sequence: 5) == .gap(expected: 3))
    #expect(table.verdict(producer: "p2", sequence: 7) == .new)  // unknown producers start anywhere
  }

  @Test("beyond its capacity the table forgets the least recently used producer")
  func leastRecentlyUsed() {
    var table = DeduplicationTable(capacity: 2)
    table.record(producer: "a", sequence: 1, index: 1)
    table.record(producer: "b", sequence: 1, index: 2)
    table.record(producer: "a", sequence: 2, index: 3)  // a is now the most recent
    table.record(producer: "c", sequence: 1, index: 4)
    #expect(table.count == 2)
    #expect(table.record(for: "b") == nil)
    #expect(table.record(for: "a") == .init(sequence: 2, index: 3))
    #expect(table.entries.map(\.producer) == ["a", "c"])
  }

  @Test("memory stays bounded however many messages one producer sends")
  func boundedUsage() {
    var table = DeduplicationTable(capacity: 4)
    for sequence in UInt64(1)...10_000 {
      table.record(producer: "busy", sequence: sequence, index: sequence)
    }
    #expect(table.count == 1)
    #expect(table.verdict(producer: "busy", sequence: 10_001) == .new)
  }
}

@Suite("Replication state: append, commit, deliver")
struct ReplicationStateTests {
  @Test("nothing is delivered before it is committed, then in index order")
  func commitBeforeDelivery() {
    var state = ReplicationState()
    for sequence in UInt64(1)...3 {
      _ = state.publish(
        topic: "news", sender: "alice", origin: .init(producer: "p", sequence: sequence),
        text: "m\(sequence)", epoch: 1)
    }
    #expect(state.takeDeliverable().isEmpty)
    state.commit(through: 2)
    #expect(state.takeDeliverable().map(\.index) == [1, 2])
    #expect(state.takeDeliverable().isEmpty)
    state.commit(through: 99)  // clamped to the last index
    #expect(state.commitIndex == 3)
    #expect(state.takeDeliverable().map(\.index) == [3])
    #expect(state.deliveredIndex == 3)
  }

  @Test("a re-sent message is not appended again, and a missing one is refused")
  func duplicatesAndGaps() {
    var state = ReplicationState()
    let first = state.publish(
      topic: "news", sender: "alice", origin: .init(producer: "p", sequence: 1), text: "a", epoch: 1
    )
    #expect(first == .appended(entry(1).withText("a", producer: "p", sequence: 1)))
    let again = state.publish(
      topic: "news", sender: "alice", origin: .init(producer: "p", sequence: 1), text: "a", epoch: 1
    )
    #expect(again == .duplicate(index: 1))
    let skipped = state.publish(
      topic: "news", sender: "alice", origin: .init(producer: "p", sequence: 3), text: "c", epoch: 1
    )
    #expect(skipped == .gap(expected: 2))
    #expect(state.lastIndex == 1)
    // Plain Task 3 publishes have no origin and are never deduplicated.
    _ = state.publish(topic: "news", sender: "bob", origin: nil, text: "x", epoch: 1)
    _ = state.publish(topic: "news", sender: "bob", origin: nil, text: "x", epoch: 1)
    #expect(state.lastIndex == 3)
  }

  @Test("the backup's copy, built from a snapshot and replicated entries, equals the primary")
  func snapshotAndReplication() throws {
    var primary = ReplicationState(
      retention: RetentionLimits(maximumMessages: 2, maximumBytes: 1 << 20))
    for sequence in UInt64(1)...5 {
      _ = primary.publish(
        topic: "news", sender: "alice", origin: .init(producer: "p", sequence: sequence),
        text: "m\(sequence)", epoch: 1)
    }
    primary.recordPosition(name: "s1", index: 2, filters: ["news"])
    // Retention keeps 2 per topic, but the 5 undelivered entries all go in the snapshot.
    let snapshot = primary.snapshot()
    #expect(snapshot.entries.map(\.index) == [1, 2, 3, 4, 5])
    var backup = ReplicationState(
      retention: RetentionLimits(maximumMessages: 2, maximumBytes: 1 << 20))
    backup.install(snapshot)
    #expect(backup.lastIndex == 5)
    #expect(backup.durables["s1"] == DurablePosition(name: "s1", index: 2, filters: ["news"]))
    #expect(backup.deduplication.verdict(producer: "p", sequence: 5) == .duplicate(index: 5))
    _ = primary.publish(
      topic: "news", sender: "alice", origin: .init(producer: "p", sequence: 6), text: "m6",
      epoch: 1)
    for entry in primary.undeliveredEntries(after: 5) { try backup.applyReplicated(entry) }
    #expect(backup.lastIndex == 6)
    #expect(backup.deduplication.verdict(producer: "p", sequence: 7) == .new)
  }

  @Test("a replicated entry out of order is refused")
  func gapOnTheBackup() {
    var backup = ReplicationState()
    #expect(throws: ReplicationGap(expected: 1, received: 2)) {
      try backup.applyReplicated(entry(2))
    }
  }

  @Test("on promotion everything held is committed and nothing is delivered live")
  func promote() throws {
    var backup = ReplicationState()
    for index in UInt64(1)...4 { try backup.applyReplicated(entry(index)) }
    backup.promote()
    #expect(backup.commitIndex == 4)
    #expect(backup.deliveredIndex == 4)
    #expect(backup.takeDeliverable().isEmpty)
  }

  @Test("a durable position never moves back")
  func positions() {
    var state = ReplicationState()
    state.recordPosition(name: "s1", index: 5, filters: ["a"])
    state.recordPosition(name: "s1", index: 3)
    #expect(state.durables["s1"] == DurablePosition(name: "s1", index: 5, filters: ["a"]))
    state.recordPosition(name: "s1", index: 0, filters: ["a", "b"])
    #expect(state.durables["s1"]?.filters == ["a", "b"])
  }
}

extension LogEntry {
  fileprivate func withText(_ text: String, producer: String, sequence: UInt64) -> LogEntry {
    var copy = self
    copy.text = text
    copy.origin = Origin(producer: producer, sequence: sequence)
    return copy
  }
}
