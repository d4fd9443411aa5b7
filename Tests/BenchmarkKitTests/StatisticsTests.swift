import BenchmarkKit
import Testing

@Suite("Statistics")
struct StatisticsTests {
  @Test("median of odd, even and empty lists")
  func medians() {
    #expect(median([3, 1, 2]) == 2)
    #expect(median([4, 1, 3, 2]) == 2.5)
    #expect(median([7]) == 7)
    #expect(median([]) == nil)
  }

  @Test("nearest-rank percentiles")
  func percentiles() {
    let values = (1...100).map(UInt64.init).shuffled()
    #expect(percentile(0.5, of: values) == 50)
    #expect(percentile(0.99, of: values) == 99)
    #expect(percentile(1, of: values) == 100)
    #expect(percentile(0, of: values) == 1)
    #expect(percentile(0.5, of: []) == nil)
  }

  @Test("the histogram is exact below 128 ns")
  func histogramExactForSmallValues() {
    var histogram = LatencyHistogram()
    for value in (1...100).map(UInt64.init).shuffled() { histogram.record(value) }
    #expect(histogram.count == 100)
    #expect(histogram.value(atPercentile: 0.5) == 50)
    #expect(histogram.value(atPercentile: 0.99) == 99)
    #expect(histogram.minimum == 1)
    #expect(histogram.maximum == 100)
  }

  @Test(
    "histogram percentiles are never below the exact ones and at most 1/64 above",
    arguments: [0.5, 0.9, 0.99, 0.999])
  func histogramPrecision(fraction: Double) {
    // A deterministic spread from 200 ns to about 50 ms.
    var generator = SplitMix(seed: 42)
    let values = (0..<20_000).map { _ in 200 + generator.next() % 50_000_000 }
    var histogram = LatencyHistogram()
    for value in values { histogram.record(value) }
    let exact = percentile(fraction, of: values)!
    let estimate = histogram.value(atPercentile: fraction)
    #expect(estimate >= exact)
    #expect(Double(estimate) <= Double(exact) * (1 + 1.0 / 64))
  }

  @Test("merging histograms equals recording everything in one")
  func merge() {
    var all = LatencyHistogram()
    var first = LatencyHistogram()
    var second = LatencyHistogram()
    for value in stride(from: UInt64(10), to: 1_000_000, by: 997) {
      all.record(value)
      if value % 2 == 0 { first.record(value) } else { second.record(value) }
    }
    first.merge(second)
    #expect(first == all)
    var empty = LatencyHistogram()
    empty.merge(LatencyHistogram())
    #expect(empty.count == 0 && empty.value(atPercentile: 0.99) == 0)
  }
}

/// A small deterministic random number generator, so the test's data is the same every run.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var mixed = state
    mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
    mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
    return mixed ^ (mixed >> 31)
  }
}
