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

/// Per-topic message rates for the live view, from the broker's per-topic counters.
///
/// Like `RateHistory` it works only when a snapshot is taken: it compares the counters with
/// those of the previous sample (at least a second older) and keeps each topic's last minute
/// of rates for a small chart.
public final class TopicRateMeter: Sendable {
  private struct Sample {
    var uptimeMilliseconds: Int
    var totals: [String: (published: Int, delivered: Int)]
    var rates: [LiveViewState.TopicRate]
  }

  /// How many rate samples each topic's history keeps.
  public let capacity: Int
  // Guarded inside `Guarded`: the last sample, with the rates computed from it.
  private let last = Guarded<Sample?>(nil)

  /// Creates a meter keeping `capacity` samples per topic.
  public init(capacity: Int = 60) {
    precondition(capacity > 0)
    self.capacity = capacity
  }

  /// Returns each topic's rates, measuring anew if the last sample is a second old or more.
  public func record(
    _ totals: [(topic: String, published: Int, delivered: Int)], atUptime uptimeMilliseconds: Int
  ) -> [LiveViewState.TopicRate] {
    last.withLock { last in
      guard let previous = last else {
        last = Sample(
          uptimeMilliseconds: uptimeMilliseconds,
          totals: Dictionary(
            uniqueKeysWithValues: totals.map { ($0.topic, ($0.published, $0.delivered)) }),
          rates: totals.map {
            .init(topic: $0.topic, inPerSecond: 0, outPerSecond: 0, recentIn: [])
          })
        return last!.rates
      }
      let elapsed = uptimeMilliseconds - previous.uptimeMilliseconds
      guard elapsed >= 1000 else { return previous.rates }
      let histories = Dictionary(
        uniqueKeysWithValues: previous.rates.map { ($0.topic, $0.recentIn) })
      let rates = totals.map { entry -> LiveViewState.TopicRate in
        let before = previous.totals[entry.topic] ?? (0, 0)
        let inRate = (entry.published - before.published) * 1000 / elapsed
        let outRate = (entry.delivered - before.delivered) * 1000 / elapsed
        let history = ((histories[entry.topic] ?? []) + [inRate]).suffix(capacity)
        return .init(
          topic: entry.topic, inPerSecond: inRate, outPerSecond: outRate, recentIn: Array(history))
      }
      last = Sample(
        uptimeMilliseconds: uptimeMilliseconds,
        totals: Dictionary(
          uniqueKeysWithValues: totals.map { ($0.topic, ($0.published, $0.delivered)) }),
        rates: rates)
      return rates
    }
  }
}
