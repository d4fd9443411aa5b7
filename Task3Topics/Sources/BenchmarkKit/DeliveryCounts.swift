/// The tally of one run: what was owed to subscribers and what went wrong delivering it.
///
/// Any count other than `delivered` makes the run a failure: a broker that loses, repeats,
/// reorders or corrupts messages has not done the work, however fast it looked.
public struct DeliveryCounts: Equatable, Sendable, Codable {
  /// Deliveries owed: for each subscriber, messages per publisher times publishers on its
  /// topic.
  public var expected = 0
  /// Distinct messages that arrived intact.
  public var delivered = 0
  /// Owed messages that never arrived.
  public var lost = 0
  /// Extra copies of messages that had already arrived.
  public var duplicated = 0
  /// First copies that arrived after a message published later by the same publisher.
  public var reordered = 0
  /// Deliveries whose payload (or sender name) is not what any publisher sent.
  public var garbled = 0
  /// Intact messages delivered to a subscriber of another topic.
  public var misrouted = 0

  /// Creates a tally; all counts default to zero.
  public init(
    expected: Int = 0, delivered: Int = 0, lost: Int = 0, duplicated: Int = 0,
    reordered: Int = 0, garbled: Int = 0, misrouted: Int = 0
  ) {
    self.expected = expected
    self.delivered = delivered
    self.lost = lost
    self.duplicated = duplicated
    self.reordered = reordered
    self.garbled = garbled
    self.misrouted = misrouted
  }

  /// Whether every owed message arrived exactly once, in order and intact.
  public var isClean: Bool {
    lost == 0 && duplicated == 0 && reordered == 0 && garbled == 0 && misrouted == 0
      && delivered == expected
  }

  /// The problems, as `"lost 3, duplicated 1"`; empty when clean.
  public var problems: String {
    [
      ("lost", lost), ("duplicated", duplicated), ("reordered", reordered),
      ("garbled", garbled), ("misrouted", misrouted),
    ]
    .filter { $0.1 > 0 }
    .map { "\($0.0) \($0.1)" }
    .joined(separator: ", ")
  }

  /// Adds another tally (from another subscriber or reader thread).
  public static func += (total: inout DeliveryCounts, part: DeliveryCounts) {
    total.expected += part.expected
    total.delivered += part.delivered
    total.lost += part.lost
    total.duplicated += part.duplicated
    total.reordered += part.reordered
    total.garbled += part.garbled
    total.misrouted += part.misrouted
  }
}
