import Task1Echo

/// The most recent events from the server's `ActivityLog`, for the live view's feed.
///
/// It is the log's observer, so `record(time:message:)` runs on whichever thread posted the
/// event (a client's thread, mid-command). It therefore does little: classify the line by a
/// few prefix checks, then, for events it keeps, take a lock long enough to write one slot
/// of a fixed-size ring. Memory stays bounded however long the server runs.
///
/// Message lines carry what clients wrote, which the view shows only when asked
/// (`--http-show-messages`). Without that they are dropped before the lock is taken, so
/// with `--quiet` off and a busy broker the feed costs one prefix check per message.
public final class ActivityFeed: Sendable {
  /// One event as the view shows it.
  public struct Event: Codable, Equatable, Sendable {
    /// Its position in everything recorded since the start (1, 2, ...), so that a reader
    /// can tell new events from ones it has seen.
    public var sequence: Int
    /// The local time it was posted, `HH:MM:SS.mmm`.
    public var time: String
    /// What sort of event it is, for the view's colours.
    public var kind: Kind
    /// The line as the server's display shows it.
    public var text: String

    /// Creates an event.
    public init(sequence: Int, time: String, kind: Kind, text: String) {
      self.sequence = sequence
      self.time = time
      self.kind = kind
      self.text = text
    }
  }

  /// The sorts of events the server posts.
  public enum Kind: String, Codable, Sendable, CaseIterable {
    /// A client joined.
    case join
    /// A client left or was disconnected.
    case leave
    /// A subscription was added or removed.
    case subscription
    /// A subscriber was disconnected for falling behind.
    case slowConsumer = "slow-consumer"
    /// A refusal or failure.
    case error
    /// A message (published, direct or said); carries what a client wrote.
    case message
    /// Anything else (shutting down).
    case other
  }

  /// How many events are kept.
  public let capacity: Int
  /// Whether message events (with their text) are kept.
  public let showsMessages: Bool
  // Guarded inside `Guarded`: the ring of kept events and the number ever kept.
  private let ring: Guarded<(events: [Event], recorded: Int)>

  /// Creates an empty feed keeping the last `capacity` events.
  public init(capacity: Int = 200, showsMessages: Bool = false) {
    precondition(capacity > 0)
    self.capacity = capacity
    self.showsMessages = showsMessages
    ring = Guarded(([], 0))
    ring.withLock { $0.events.reserveCapacity(capacity) }
  }

  /// `record(time:message:)` as an `ActivityLog` observer.
  public var observer: @Sendable (_ time: String, _ message: String) -> Void {
    { [self] time, message in record(time: time, message: message) }
  }

  /// Records one line posted at `time`.
  public func record(time: String, message: String) {
    let kind = Self.kind(of: message)
    if kind == .message && !showsMessages { return }
    ring.withLock { ring in
      ring.recorded += 1
      let event = Event(sequence: ring.recorded, time: time, kind: kind, text: message)
      if ring.events.count < capacity {
        ring.events.append(event)
      } else {
        ring.events[(ring.recorded - 1) % capacity] = event
      }
    }
  }

  /// The last `count` events at most, oldest first.
  public func recent(_ count: Int) -> [Event] {
    let (events, recorded) = ring.withLock { ($0.events, $0.recorded) }
    // The oldest kept event sits just after the newest, once the ring has wrapped.
    let oldest = events.count < capacity ? 0 : recorded % capacity
    let ordered = events[oldest...] + events[..<oldest]
    return Array(ordered.suffix(count))
  }

  /// Classifies a line as `BrokerServer` words it.
  ///
  /// Message lines are recognised by their shape: a client's name (which never contains a
  /// space) followed by ` -> ` (published or direct) or ` says: `. That is how `BrokerServer`
  /// words every line that carries what a client wrote; the live view's tests check that
  /// published, direct and said texts stay out of the feed by default, so a change of wording
  /// there fails a test rather than leaking messages.
  public static func kind(of message: String) -> Kind {
    let afterName = message.drop { $0 != " " }.dropFirst()
    if afterName.hasPrefix("-> ") || afterName.hasPrefix("says: ") { return .message }
    if message.contains("slow consumer") { return .slowConsumer }
    if afterName.hasPrefix("joined ") { return .join }
    if afterName.hasPrefix("subscribed to ") || afterName.hasPrefix("unsubscribed from ") {
      return .subscription
    }
    if afterName.hasPrefix("refused") || afterName.hasPrefix("connection lost")
      || afterName.hasPrefix("no HELLO")
    {
      return .error
    }
    if afterName.hasPrefix("left") || afterName.hasPrefix("sent terminate")
      || afterName.hasPrefix("disconnected")
    {
      return .leave
    }
    return .other
  }
}
