/// A durable subscriber's remembered topics and read position.
public struct DurablePosition: Equatable, Sendable {
  /// The subscriber's name.
  public var name: String
  /// The last index it reported having seen.
  public var index: UInt64
  /// Its subscription filters.
  public var filters: [String]

  /// Creates a position.
  public init(name: String, index: UInt64, filters: [String]) {
    self.name = name
    self.index = index
    self.filters = filters
  }
}

/// Everything a joining backup needs to continue as a copy of the primary.
public struct Snapshot: Equatable, Sendable {
  /// One producer's deduplication record.
  public struct Producer: Equatable, Sendable {
    /// The producer id.
    public var id: String
    /// What the log holds for it.
    public var record: DeduplicationTable.Record

    /// Creates a producer record.
    public init(id: String, record: DeduplicationTable.Record) {
      self.id = id
      self.record = record
    }
  }

  /// The index of the primary's newest entry.
  public var lastIndex: UInt64
  /// The retained entries, plus any newer ones not yet delivered, in index order.
  public var entries: [LogEntry]
  /// The deduplication table, least recently used first.
  public var producers: [Producer]
  /// The durable subscribers.
  public var durables: [DurablePosition]

  /// Creates a snapshot.
  public init(
    lastIndex: UInt64, entries: [LogEntry], producers: [Producer], durables: [DurablePosition]
  ) {
    self.lastIndex = lastIndex
    self.entries = entries
    self.producers = producers
    self.durables = durables
  }
}

/// A replicated entry that does not follow the log: the backup has missed something and
/// must join again to get a fresh snapshot.
public struct ReplicationGap: Error, Equatable, Sendable, CustomStringConvertible {
  /// The index the backup expected.
  public var expected: UInt64
  /// The index it received.
  public var received: UInt64

  /// Creates a gap report.
  public init(expected: UInt64, received: UInt64) {
    self.expected = expected
    self.received = received
  }

  public var description: String { "expected entry \(expected), received \(received)" }
}

/// The data a node replicates and the positions that say how far it has got: the log, the
/// deduplication table, the durable subscribers, the commit index and the delivery index.
///
/// On the primary, an entry goes through three positions in order:
/// 1. **appended** (`lastIndex`): in the primary's log, sent to the backup;
/// 2. **committed** (`commitIndex`): the backup acknowledged holding it (or there is no
///    backup), so no single crash can lose it;
/// 3. **delivered** (`deliveredIndex`): handed to the subscribers and acknowledged to its
///    publisher. Nothing is delivered before it is committed, so every index a subscriber has
///    seen exists on every node that can become primary.
///
/// A value type with no lock and no I/O; the broker keeps it behind its lock.
public struct ReplicationState: Sendable {
  /// What `publish` did.
  public enum PublishOutcome: Equatable, Sendable {
    /// Appended as a new entry.
    case appended(LogEntry)
    /// Already in the log, at or before `index`: acknowledge once that is committed.
    case duplicate(index: UInt64)
    /// Refused: the producer's message `expected` is missing.
    case gap(expected: UInt64)
  }

  /// The retained messages.
  public private(set) var log: ReplicatedLog
  /// The highest sequence per producer.
  public private(set) var deduplication: DeduplicationTable
  /// The durable subscribers by name.
  public private(set) var durables: [String: DurablePosition] = [:]
  /// Every entry up to here is held by every node that must hold it.
  public private(set) var commitIndex: UInt64 = 0
  /// Every entry up to here has been handed out for delivery.
  public private(set) var deliveredIndex: UInt64 = 0
  // The entries after `deliveredIndex`, oldest first, from `undeliveredStart` on. Kept apart
  // from the log because retention may drop an entry from the log before it is delivered.
  private var undelivered: [LogEntry] = []
  private var undeliveredStart = 0

  /// Creates empty state.
  public init(retention: RetentionLimits = .standard, producerCapacity: Int = 10_000) {
    log = ReplicatedLog(limits: retention)
    deduplication = DeduplicationTable(capacity: producerCapacity)
  }

  /// The index of the newest entry.
  public var lastIndex: UInt64 { log.lastIndex }

  /// The number of entries appended and not yet delivered.
  public var undeliveredCount: Int { undelivered.count - undeliveredStart }

  // MARK: - The primary

  /// Appends a message unless its `origin` shows it is a duplicate or out of order.
  ///
  /// - Parameter epoch: The primary's epoch, recorded in the entry.
  public mutating func publish(
    topic: String, sender: String, origin: LogEntry.Origin?, text: String, epoch: UInt64
  ) -> PublishOutcome {
    if let origin {
      switch deduplication.verdict(producer: origin.producer, sequence: origin.sequence) {
      case .new: break
      case .duplicate(let index): return .duplicate(index: index)
      case .gap(let expected): return .gap(expected: expected)
      }
    }
    let entry = LogEntry(
      index: lastIndex + 1, epoch: epoch, topic: topic, sender: sender, origin: origin,
      text: text)
    append(entry)
    undelivered.append(entry)
    return .appended(entry)
  }

  /// Marks every entry up to `index` (at most `lastIndex`) committed. Never moves back.
  public mutating func commit(through index: UInt64) {
    commitIndex = max(commitIndex, min(index, lastIndex))
  }

  /// Takes the committed entries not yet delivered, oldest first, and marks them delivered.
  public mutating func takeDeliverable() -> [LogEntry] {
    var end = undeliveredStart
    while end < undelivered.count && undelivered[end].index <= commitIndex { end += 1 }
    let taken = Array(undelivered[undeliveredStart..<end])
    undeliveredStart = end
    if let last = taken.last { deliveredIndex = last.index }
    if undeliveredStart > 1024 && undeliveredStart * 2 > undelivered.count {
      undelivered.removeSubrange(0..<undeliveredStart)
      undeliveredStart = 0
    }
    return taken
  }

  /// The entries after `index` that are not yet delivered, oldest first: what the backup has
  /// not been sent yet. Every entry after the backup's position is undelivered, because
  /// delivery waits for the backup's acknowledgement.
  public func undeliveredEntries(after index: UInt64) -> ArraySlice<LogEntry> {
    var first = undeliveredStart
    while first < undelivered.count && undelivered[first].index <= index { first += 1 }
    return undelivered[first...]
  }

  /// Everything a joining backup needs: the retained entries and every undelivered one.
  public func snapshot() -> Snapshot {
    var entries = log.retainedEntries
    let retainedIndexes = Set(entries.map(\.index))
    let missing = undelivered[undeliveredStart...].filter { !retainedIndexes.contains($0.index) }
    if !missing.isEmpty {
      entries.append(contentsOf: missing)
      entries.sort { $0.index < $1.index }
    }
    return Snapshot(
      lastIndex: lastIndex, entries: entries,
      producers: deduplication.entries.map {
        Snapshot.Producer(id: $0.producer, record: $0.record)
      },
      durables: durables.values.sorted { $0.name < $1.name })
  }

  // MARK: - The backup

  /// Appends an entry copied from the primary; it must be the next index.
  ///
  /// - Throws: `ReplicationGap` if it is not.
  public mutating func applyReplicated(_ entry: LogEntry) throws(ReplicationGap) {
    guard entry.index == lastIndex + 1 else {
      throw ReplicationGap(expected: lastIndex + 1, received: entry.index)
    }
    append(entry)
  }

  /// Replaces everything with `snapshot`.
  public mutating func install(_ snapshot: Snapshot) {
    self = ReplicationState(
      retention: log.limits, producerCapacity: deduplication.capacity)
    for entry in snapshot.entries { append(entry) }
    log.advance(to: snapshot.lastIndex)
    for producer in snapshot.producers {
      deduplication.record(
        producer: producer.id, sequence: producer.record.sequence, index: producer.record.index)
    }
    for durable in snapshot.durables { durables[durable.name] = durable }
  }

  /// Takes over as primary: every entry held is now committed (this node is the only copy,
  /// and each entry was either acknowledged already or will be re-sent and recognised), and
  /// there is nothing to deliver live: subscribers catch up from the log.
  public mutating func promote() {
    commitIndex = lastIndex
    deliveredIndex = lastIndex
    undelivered = []
    undeliveredStart = 0
  }

  // MARK: - Durable subscribers

  /// Records `name`'s position; it never moves back. `filters` replace the remembered ones
  /// when given.
  public mutating func recordPosition(name: String, index: UInt64, filters: [String]? = nil) {
    var position =
      durables[name] ?? DurablePosition(name: name, index: index, filters: filters ?? [])
    position.index = max(position.index, index)
    if let filters { position.filters = filters }
    durables[name] = position
  }

  private mutating func append(_ entry: LogEntry) {
    log.append(entry)
    if let origin = entry.origin {
      deduplication.record(producer: origin.producer, sequence: origin.sequence, index: entry.index)
    }
  }
}
