/// How much history the broker keeps per topic for subscribers who were away.
public struct RetentionLimits: Equatable, Sendable {
  /// The most messages kept per topic.
  public var maximumMessages: Int
  /// The most bytes kept per topic, counted with `LogEntry.retainedByteCount`.
  public var maximumBytes: Int

  /// The defaults of the design: 10,000 messages or 64 MiB per topic, whichever comes first.
  public static let standard = RetentionLimits(maximumMessages: 10_000, maximumBytes: 64 << 20)

  /// Creates limits; both must be positive.
  public init(maximumMessages: Int, maximumBytes: Int) {
    precondition(maximumMessages > 0 && maximumBytes > 0)
    self.maximumMessages = maximumMessages
    self.maximumBytes = maximumBytes
  }
}

/// The messages a node retains, by topic, with the index of the newest entry ever appended.
///
/// Each topic keeps its own newest messages up to `RetentionLimits`, so a busy topic cannot
/// push a quiet topic's history out. The log is a value with no lock and no I/O: the broker
/// keeps it behind its lock, and tests drive it directly.
public struct ReplicatedLog: Sendable {
  /// The retention limits, per topic.
  public let limits: RetentionLimits
  /// The index of the newest entry appended (0 when none has been): the next entry gets
  /// `lastIndex + 1`. Retention never lowers it.
  public private(set) var lastIndex: UInt64 = 0
  private var histories: [String: TopicHistory] = [:]

  /// Creates an empty log.
  public init(limits: RetentionLimits = .standard) {
    self.limits = limits
  }

  /// Appends `entry`, whose index must be above every index in the log, then drops the
  /// topic's oldest entries beyond the retention limits.
  public mutating func append(_ entry: LogEntry) {
    precondition(entry.index > lastIndex, "log indexes only grow")
    lastIndex = entry.index
    histories[entry.topic, default: TopicHistory()].append(entry, limits: limits)
  }

  /// Moves `lastIndex` up to `index` without an entry: a snapshot whose newest entries had
  /// already expired still says how far the log reached.
  public mutating func advance(to index: UInt64) {
    lastIndex = max(lastIndex, index)
  }

  /// The retained entries with an index in `after + 1 ... through` on the topics `matches`
  /// accepts, in index order, and how many such entries retention has already dropped.
  ///
  /// This is a returning subscriber's catch-up. The dropped count is exact while the topic's
  /// dropped entries after `after` are among the last `limits.maximumMessages` it dropped; for
  /// a subscriber away even longer it is a lower bound (the log forgets the oldest drops too,
  /// or its bookkeeping would grow without limit).
  public func entries(
    after: UInt64, through: UInt64, onTopicsMatching matches: (String) -> Bool
  ) -> (entries: [LogEntry], expired: Int) {
    guard through > after else { return ([], 0) }
    var found: [LogEntry] = []
    var expired = 0
    var topicsFound = 0
    for (topic, history) in histories where matches(topic) {
      let slice = history.entries(after: after, through: through)
      if !slice.isEmpty { topicsFound += 1 }
      found.append(contentsOf: slice)
      expired += history.droppedCount(after: after, through: through)
    }
    // Each topic's entries are in index order already; several topics must be merged.
    if topicsFound > 1 { found.sort { $0.index < $1.index } }
    return (found, expired)
  }

  /// Every retained entry, in index order: what a joining backup is sent.
  public var retainedEntries: [LogEntry] {
    histories.values.flatMap { $0.retained }.sorted { $0.index < $1.index }
  }

  /// The number of entries retained over all topics.
  public var retainedCount: Int {
    histories.values.reduce(0) { $0 + $1.count }
  }

  /// The number of entries retained for `topic`.
  public func retainedCount(onTopic topic: String) -> Int {
    histories[topic]?.count ?? 0
  }
}

/// One topic's retained entries (oldest first) and the indexes of the entries it dropped.
///
/// Both are queues that are appended at the back and consumed at the front; each is an array
/// with a moving start, compacted when the consumed part grows, so appends and drops cost
/// O(1) on average.
struct TopicHistory: Sendable {
  private var storage: [LogEntry] = []
  private var start = 0
  private var byteCount = 0
  private var dropped: [UInt64] = []
  private var droppedStart = 0

  var count: Int { storage.count - start }

  var retained: ArraySlice<LogEntry> { storage[start...] }

  mutating func append(_ entry: LogEntry, limits: RetentionLimits) {
    storage.append(entry)
    byteCount += entry.retainedByteCount
    // The newest entry always stays, even if it alone is over the byte limit.
    while count > limits.maximumMessages || (byteCount > limits.maximumBytes && count > 1) {
      let oldest = storage[start]
      start += 1
      byteCount -= oldest.retainedByteCount
      remember(droppedIndex: oldest.index, limit: limits.maximumMessages)
    }
    if start > 1024 && start * 2 > storage.count {
      storage.removeSubrange(0..<start)
      start = 0
    }
  }

  private mutating func remember(droppedIndex index: UInt64, limit: Int) {
    dropped.append(index)
    if dropped.count - droppedStart > limit { droppedStart += 1 }
    if droppedStart > 1024 && droppedStart * 2 > dropped.count {
      dropped.removeSubrange(0..<droppedStart)
      droppedStart = 0
    }
  }

  /// The retained entries with an index in `after + 1 ... through`.
  func entries(after: UInt64, through: UInt64) -> ArraySlice<LogEntry> {
    let lower = firstPosition(in: storage, from: start) { $0.index > after }
    let upper = firstPosition(in: storage, from: lower) { $0.index > through }
    return storage[lower..<upper]
  }

  /// The remembered dropped indexes in `after + 1 ... through`.
  func droppedCount(after: UInt64, through: UInt64) -> Int {
    let lower = firstPosition(in: dropped, from: droppedStart) { $0 > after }
    let upper = firstPosition(in: dropped, from: lower) { $0 > through }
    return upper - lower
  }
}

/// The first position at or after `from` where `isPast` holds, in an array sorted so that
/// `isPast` is false and then true (binary search).
private func firstPosition<Element>(
  in array: [Element], from: Int, where isPast: (Element) -> Bool
) -> Int {
  var low = from
  var high = array.count
  while low < high {
    let middle = (low + high) / 2
    if isPast(array[middle]) { high = middle } else { low = middle + 1 }
  }
  return low
}
