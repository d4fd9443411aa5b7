/// A publisher's messages that were sent but not yet acknowledged, with their sequence numbers.
///
/// This is the publisher's half of "nothing acknowledged is lost": a message stays here until
/// the broker says `+ACK` for it, so after a failover every message that might be missing is
/// still at hand to be sent again; the broker drops the copies it already has. The window is
/// bounded, which does two jobs: it limits how much is re-sent after a failover, and it slows
/// a publisher down to the broker's pace (back pressure) instead of queueing without end.
public struct PublishWindow: Sendable {
  /// The default number of unacknowledged messages: 256.
  public static let standardCapacity = 256

  /// The most messages that may wait for acknowledgement.
  public let capacity: Int
  /// The number the next message will get: 1, 2, 3, ...
  public private(set) var nextSequence: UInt64 = 1
  // The waiting messages, oldest first, from `start` on.
  private var waiting: [(sequence: UInt64, line: String)] = []
  private var start = 0

  /// Creates an empty window.
  public init(capacity: Int = standardCapacity) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// The number of messages waiting for acknowledgement.
  public var count: Int { waiting.count - start }
  /// Whether no message is waiting.
  public var isEmpty: Bool { count == 0 }
  /// Whether the window is full: the next message must wait for an acknowledgement.
  public var isFull: Bool { count >= capacity }
  /// The oldest waiting sequence number, if any.
  public var oldestSequence: UInt64? { isEmpty ? nil : waiting[start].sequence }

  /// Adds a message for `topic`; the window must not be full.
  ///
  /// - Returns: Its sequence number and the `PUBSEQ` line to send.
  public mutating func add(topic: String, text: String) -> (sequence: UInt64, line: String) {
    precondition(!isFull, "wait for an acknowledgement first")
    let sequence = nextSequence
    nextSequence += 1
    let line = FailoverCommand.publish(sequence: sequence, topic: topic, text: text).line
    waiting.append((sequence, line))
    return (sequence, line)
  }

  /// Removes every message up to `sequence`: the broker commits a producer's messages in
  /// order, so an acknowledgement covers every earlier message as well.
  ///
  /// - Returns: The number of messages removed.
  @discardableResult
  public mutating func acknowledge(through sequence: UInt64) -> Int {
    let before = count
    while start < waiting.count && waiting[start].sequence <= sequence { start += 1 }
    if start > 256 && start * 2 > waiting.count {
      waiting.removeSubrange(0..<start)
      start = 0
    }
    return before - count
  }

  /// The lines of the waiting messages numbered above `sequence`, oldest first: pass 0 (or
  /// anything below the oldest) after a failover to get everything to re-send.
  public func lines(after sequence: UInt64) -> [String] {
    waiting[start...].filter { $0.sequence > sequence }.map(\.line)
  }
}
