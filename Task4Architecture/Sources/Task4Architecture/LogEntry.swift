/// One published message as the replicated log holds it: its place in history, the epoch it
/// was written in, where it goes and who sent it.
///
/// The index is what makes failover exact. Every node that can become primary holds the same
/// entry at the same index, so a subscriber's "last index I saw" names the same position on
/// whichever node it reconnects to.
public struct LogEntry: Equatable, Sendable {
  /// Which publisher sent a message and its number in that publisher's stream: the key that
  /// lets a re-sent message be recognised as one the log already holds.
  public struct Origin: Hashable, Sendable {
    /// The publisher's producer id, unique per run of a publisher.
    public var producer: String
    /// The publisher's own counter, 1, 2, 3, ...
    public var sequence: UInt64

    /// Creates an origin.
    public init(producer: String, sequence: UInt64) {
      self.producer = producer
      self.sequence = sequence
    }
  }

  /// The entry's position in the log: 1, 2, 3, ..., never reused.
  public var index: UInt64
  /// The epoch of the primary that wrote it.
  public var epoch: UInt64
  /// The topic it was published to.
  public var topic: String
  /// The publishing client's name, shown to subscribers.
  public var sender: String
  /// The producer id and sequence number for `PUBSEQ`; `nil` for a plain Task 3 `PUB`, which
  /// is neither acknowledged nor deduplicated.
  public var origin: Origin?
  /// The message text.
  public var text: String

  /// Creates an entry.
  public init(
    index: UInt64, epoch: UInt64, topic: String, sender: String, origin: Origin?, text: String
  ) {
    self.index = index
    self.epoch = epoch
    self.topic = topic
    self.sender = sender
    self.origin = origin
    self.text = text
  }

  /// The bytes the entry is charged for against a topic's retention limit: its strings plus a
  /// fixed 64 for the numbers and the bookkeeping around them.
  public var retainedByteCount: Int {
    64 + topic.utf8.count + sender.utf8.count + text.utf8.count
      + (origin?.producer.utf8.count ?? 0)
  }

  /// The line a Task 4 subscriber receives: `MSG <index> <topic> <sender> <text>`.
  public var indexedDelivery: String { "MSG \(index) \(topic) \(sender) \(text)" }

  /// The line a plain Task 3 subscriber receives: `MSG <topic> <sender> <text>`.
  public var plainDelivery: String { "MSG \(topic) \(sender) \(text)" }
}
