/// Counts latencies in buckets no wider than 1/64 of their value, so percentiles of millions
/// of deliveries come out within 1.6 % without storing each one.
///
/// Storing every sample of a 2-million-delivery run would cost 16 MB per run and a sort;
/// this costs 30 KB and one increment per delivery. Values below 128 ns have a bucket each;
/// above, each power of two is split into 64 equal buckets (the layout of an HDR histogram
/// with two significant digits). The minimum and maximum are kept exactly.
public struct LatencyHistogram: Sendable, Equatable {
  /// Sub-buckets per power of two: the precision.
  static let subBucketBits = 6
  static let subBucketCount = 1 << subBucketBits
  static let bucketCount = subBucketCount * (64 - subBucketBits) + subBucketCount

  private var counts: [UInt64]
  /// The number of values recorded.
  public private(set) var count: UInt64 = 0
  /// The largest value recorded, exactly; 0 when empty.
  public private(set) var maximum: UInt64 = 0
  /// The smallest value recorded, exactly; 0 when empty.
  public private(set) var minimum: UInt64 = 0

  /// Creates an empty histogram.
  public init() {
    counts = [UInt64](repeating: 0, count: Self.bucketCount)
  }

  /// Records one value (nanoseconds).
  public mutating func record(_ value: UInt64) {
    counts[Self.bucketIndex(value)] &+= 1
    if count == 0 || value < minimum { minimum = value }
    if value > maximum { maximum = value }
    count += 1
  }

  /// Adds every value of `other`.
  public mutating func merge(_ other: LatencyHistogram) {
    guard other.count > 0 else { return }
    for index in counts.indices { counts[index] &+= other.counts[index] }
    minimum = count == 0 ? other.minimum : min(minimum, other.minimum)
    maximum = max(maximum, other.maximum)
    count += other.count
  }

  /// Returns the nearest-rank percentile (`fraction` 0.99 for p99), reported as the upper
  /// edge of its bucket (never above the true maximum nor below the minimum): an
  /// overestimate by at most 1/64, never an underestimate. 0 when empty.
  public func value(atPercentile fraction: Double) -> UInt64 {
    guard count > 0 else { return 0 }
    let rank = UInt64(nearestRank(fraction, count: Int(count)))
    var seen: UInt64 = 0
    for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
      seen += bucketCount
      if seen >= rank { return max(minimum, min(maximum, Self.upperBound(ofBucket: index))) }
    }
    return maximum
  }

  /// The bucket holding `value`.
  static func bucketIndex(_ value: UInt64) -> Int {
    let highestBit = 63 - value.leadingZeroBitCount
    let shift = max(0, highestBit - subBucketBits)
    return subBucketCount * shift + Int(truncatingIfNeeded: value >> UInt64(shift))
  }

  /// The largest value that falls in bucket `index`.
  static func upperBound(ofBucket index: Int) -> UInt64 {
    let shift = max(0, index / subBucketCount - 1)
    let lower = UInt64(index - subBucketCount * shift) << UInt64(shift)
    return lower + (UInt64(1) << UInt64(shift)) - 1
  }
}
