/// Returns the median of `values`: the middle value, or the mean of the two middle values
/// when there is an even number; `nil` for no values.
///
/// Benchmarks report medians of repetitions rather than means because one disturbed run (a
/// page fault storm, another process waking) moves a mean but not a median.
public func median(_ values: [Double]) -> Double? {
  guard !values.isEmpty else { return nil }
  let sorted = values.sorted()
  let middle = sorted.count / 2
  return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}

/// Returns the nearest-rank percentile of `values` (`fraction` 0.99 for p99): the smallest
/// value with at least that fraction of the values at or below it; `nil` for no values.
public func percentile(_ fraction: Double, of values: [UInt64]) -> UInt64? {
  precondition((0...1).contains(fraction), "fraction must be in 0...1")
  guard !values.isEmpty else { return nil }
  let sorted = values.sorted()
  return sorted[nearestRank(fraction, count: sorted.count) - 1]
}

/// The 1-based nearest rank of `fraction` among `count` values: at least 1.
func nearestRank(_ fraction: Double, count: Int) -> Int {
  max(1, min(count, Int((fraction * Double(count)).rounded(.up))))
}
