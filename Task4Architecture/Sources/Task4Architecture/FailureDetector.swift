/// Decides when a silent peer is presumed dead, and when to send the next heartbeat.
///
/// A process that dies on a running machine has its sockets closed by the kernel, which the
/// peer notices at once. A frozen process, a dead machine or a broken network path closes
/// nothing: the only sign is silence. So each side sends a heartbeat every `interval` and
/// presumes the other dead after `timeout` without hearing anything (five missed heartbeats
/// with the defaults). The detector is given the time rather than reading a clock, so tests
/// can run it through minutes of silence in microseconds.
public struct FailureDetector: Sendable {
  /// How often a heartbeat is sent: 50 ms.
  public static let standardInterval = Duration.milliseconds(50)
  /// How long a silent peer is given: 250 ms.
  public static let standardTimeout = Duration.milliseconds(250)

  /// The time between heartbeats.
  public let interval: Duration
  /// The silence after which the peer is presumed dead.
  public let timeout: Duration
  private var lastHeard: ContinuousClock.Instant
  private var lastSent: ContinuousClock.Instant?

  /// Creates a detector that counts silence from `now`.
  public init(
    interval: Duration = standardInterval, timeout: Duration = standardTimeout,
    startingAt now: ContinuousClock.Instant
  ) {
    precondition(timeout > interval, "the timeout must cover several heartbeats")
    self.interval = interval
    self.timeout = timeout
    lastHeard = now
  }

  /// Notes that something (a heartbeat or any other line) arrived from the peer at `now`.
  public mutating func heard(at now: ContinuousClock.Instant) {
    if now > lastHeard { lastHeard = now }
  }

  /// How long the peer has been silent at `now`.
  public func silence(at now: ContinuousClock.Instant) -> Duration {
    now > lastHeard ? now - lastHeard : .zero
  }

  /// Whether the peer has been silent for `timeout` or longer at `now`.
  public func isPresumedDead(at now: ContinuousClock.Instant) -> Bool {
    silence(at: now) >= timeout
  }

  /// Whether a heartbeat should be sent at `now`: none was sent yet, or the last is
  /// `interval` old.
  public func isHeartbeatDue(at now: ContinuousClock.Instant) -> Bool {
    guard let lastSent else { return true }
    return now - lastSent >= interval
  }

  /// Notes that a heartbeat (or any other line, which proves liveness as well) went out at
  /// `now`.
  public mutating func sentHeartbeat(at now: ContinuousClock.Instant) {
    lastSent = now
  }
}
