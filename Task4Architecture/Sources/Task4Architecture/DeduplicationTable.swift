/// For each publisher, the highest sequence number the log already holds: how the broker
/// tells a re-sent message from a new one.
///
/// After a failover a publisher re-sends everything it was never acknowledged for. Some of
/// those messages reached the log before the crash (the backup held them), some did not. The
/// table answers, per message, "new", "already have it" or "one is missing before it". Kafka's
/// idempotent producer works the same way, with a producer id and a sequence number.
///
/// Memory is bounded: the table keeps the `capacity` most recently used producers and forgets
/// the least recently used one beyond that. A forgotten producer's next message is taken as
/// new, so a re-send from a producer silent for that long could be stored twice.
public struct DeduplicationTable: Sendable {
  /// What the log holds for one producer.
  public struct Record: Equatable, Sendable {
    /// The highest sequence number in the log.
    public var sequence: UInt64
    /// The log index of that message. A re-sent message with a lower number has an index at
    /// or below this one, so once this index is committed, so is the re-sent message.
    public var index: UInt64

    /// Creates a record.
    public init(sequence: UInt64, index: UInt64) {
      self.sequence = sequence
      self.index = index
    }
  }

  /// What to do with an incoming `(producer, sequence)`.
  public enum Verdict: Equatable, Sendable {
    /// The next message of a known producer, or the first of an unknown one: append it.
    case new
    /// The log holds it already (at or before `index`): do not append it again; acknowledge
    /// it once `index` is committed.
    case duplicate(index: UInt64)
    /// A message is missing before this one: refuse it and say which number comes next.
    case gap(expected: UInt64)
  }

  /// The most producers remembered.
  public let capacity: Int
  // `stamp` increases with every use; `usage` lists (producer, stamp) pairs oldest first. A
  // pair is current if its stamp is the producer's latest; older pairs are skipped lazily.
  private var records: [String: (record: Record, stamp: UInt64)] = [:]
  private var usage: [(producer: String, stamp: UInt64)] = []
  private var usageStart = 0
  private var clock: UInt64 = 0

  /// Creates an empty table remembering at most `capacity` producers (10,000 by default).
  public init(capacity: Int = 10_000) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// The number of producers remembered.
  public var count: Int { records.count }

  /// What the table holds for `producer`, if anything.
  public func record(for producer: String) -> Record? {
    records[producer]?.record
  }

  /// Judges a message without changing the table.
  public func verdict(producer: String, sequence: UInt64) -> Verdict {
    guard let known = records[producer]?.record else { return .new }
    if sequence <= known.sequence { return .duplicate(index: known.index) }
    if sequence == known.sequence + 1 { return .new }
    return .gap(expected: known.sequence + 1)
  }

  /// Notes that `producer`'s message `sequence` is in the log at `index`, forgetting the least
  /// recently used producer if the table is over capacity.
  public mutating func record(producer: String, sequence: UInt64, index: UInt64) {
    clock += 1
    records[producer] = (Record(sequence: sequence, index: index), clock)
    usage.append((producer, clock))
    while records.count > capacity, usageStart < usage.count {
      let oldest = usage[usageStart]
      usageStart += 1
      if records[oldest.producer]?.stamp == oldest.stamp {
        records[oldest.producer] = nil
      }
    }
    // Stale pairs pile up for busy producers; rebuild the queue from the live records when
    // it holds mostly stale ones, so memory stays proportional to `capacity`.
    if usage.count - usageStart > 2 * capacity + 64 {
      usage = records.map { ($0.key, $0.value.stamp) }.sorted { $0.stamp < $1.stamp }
      usageStart = 0
    }
  }

  /// Every remembered producer and its record, least recently used first: what a joining
  /// backup is sent, in an order that rebuilds the same recency.
  public var entries: [(producer: String, record: Record)] {
    records.sorted { $0.value.stamp < $1.value.stamp }.map { ($0.key, $0.value.record) }
  }
}
