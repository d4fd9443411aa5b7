/// Follows the messages one subscriber receives from one publisher and classifies each.
///
/// A broker owes every subscriber each message of each publisher on its topic exactly once
/// and in the order published (TCP keeps a publisher's stream in order; a broker that
/// reorders has a bug, such as two threads writing to one subscriber). One bit per expected
/// sequence number tells a first arrival from a duplicate exactly, whatever the order, and
/// the highest number seen so far tells an in-order arrival from a late one. Whatever never
/// arrives is the loss.
public struct SequenceTracker: Sendable {
  /// What one arrival was.
  public enum Arrival: Equatable, Sendable {
    /// The first copy, and no later message had arrived before it.
    case inOrder
    /// The first copy, but a message published after it arrived first.
    case reordered
    /// A copy of a message that had already arrived.
    case duplicate
    /// A sequence number the publisher never sent: the payload lies (counted as garbled).
    case outOfRange
  }

  /// The number of messages the publisher sends: sequence numbers `0 ..< expectedCount`.
  public let expectedCount: Int
  /// Messages that arrived at least once.
  public private(set) var uniqueCount = 0
  /// Extra copies.
  public private(set) var duplicateCount = 0
  /// First copies that arrived after a later message.
  public private(set) var reorderedCount = 0
  /// Arrivals with a sequence number outside `0 ..< expectedCount`.
  public private(set) var outOfRangeCount = 0

  private var seen: [UInt64]
  private var highest = -1

  /// Creates a tracker expecting sequence numbers `0 ..< expectedCount`.
  public init(expectedCount: Int) {
    precondition(expectedCount >= 0)
    self.expectedCount = expectedCount
    seen = [UInt64](repeating: 0, count: (expectedCount + 63) / 64)
  }

  /// Whether every expected message has arrived.
  public var isComplete: Bool { uniqueCount == expectedCount }

  /// Messages that have not arrived (yet).
  public var missingCount: Int { expectedCount - uniqueCount }

  /// The lowest sequence number that has not arrived, for error messages.
  public var firstMissing: Int? {
    for (index, word) in seen.enumerated() where word != .max {
      let sequence = index * 64 + (~word).trailingZeroBitCount
      return sequence < expectedCount ? sequence : nil
    }
    return nil
  }

  /// Records the arrival of `sequence` and says what it was.
  @discardableResult
  public mutating func record(_ sequence: Int) -> Arrival {
    guard sequence >= 0 && sequence < expectedCount else {
      outOfRangeCount += 1
      return .outOfRange
    }
    let bit: UInt64 = 1 << UInt64(sequence & 63)
    let word = sequence >> 6
    if seen[word] & bit != 0 {
      duplicateCount += 1
      return .duplicate
    }
    seen[word] |= bit
    uniqueCount += 1
    if sequence < highest {
      reorderedCount += 1
      return .reordered
    }
    highest = sequence
    return .inOrder
  }
}
