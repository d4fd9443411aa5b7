import Task1Echo

/// The message rates of the last minute or two, for the live view's chart.
///
/// Samples are taken only when a snapshot is: while a page is open, about once a second; while
/// nobody looks, never. So the history costs the broker nothing when unwatched, and a page
/// opened (or reloaded) while another is open starts with a full chart. The broker measures
/// its rates once a second, so sampling more often would only repeat values.
public final class RateHistory: Sendable {
  /// How many samples are kept.
  public let capacity: Int
  // Guarded inside `Guarded`: the samples, oldest first.
  private let samples = Guarded<[LiveViewState.RateSample]>([])

  /// Creates an empty history of at most `capacity` samples.
  public init(capacity: Int = 120) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// Adds `totals`' rates at `uptimeMilliseconds`, unless the last sample is less than a
  /// second older, and returns the history.
  public func record(_ totals: LiveViewState.Totals, atUptime uptimeMilliseconds: Int)
    -> [LiveViewState.RateSample]
  {
    samples.withLock { samples in
      if let last = samples.last, uptimeMilliseconds - last.uptimeMilliseconds < 1000 {
        return samples
      }
      samples.append(
        .init(
          uptimeMilliseconds: uptimeMilliseconds, inPerSecond: totals.inPerSecond,
          outPerSecond: totals.outPerSecond))
      if samples.count > capacity { samples.removeFirst() }
      return samples
    }
  }
}
