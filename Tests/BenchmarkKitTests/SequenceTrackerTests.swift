import BenchmarkKit
import Testing

@Suite("SequenceTracker")
struct SequenceTrackerTests {
  @Test("messages in order complete the sequence with nothing wrong")
  func inOrder() {
    var tracker = SequenceTracker(expectedCount: 130)
    for sequence in 0..<130 { #expect(tracker.record(sequence) == .inOrder) }
    #expect(tracker.isComplete)
    #expect(tracker.missingCount == 0)
    #expect(tracker.firstMissing == nil)
    #expect(tracker.duplicateCount == 0 && tracker.reorderedCount == 0)
  }

  @Test("a message that never arrives is missing, and the first one is named")
  func loss() {
    var tracker = SequenceTracker(expectedCount: 200)
    for sequence in 0..<200 where sequence != 70 && sequence != 150 { tracker.record(sequence) }
    #expect(!tracker.isComplete)
    #expect(tracker.missingCount == 2)
    #expect(tracker.firstMissing == 70)
    #expect(tracker.reorderedCount == 0)
  }

  @Test("a second copy is a duplicate, whether it comes at once or much later")
  func duplicates() {
    var tracker = SequenceTracker(expectedCount: 10)
    tracker.record(0)
    tracker.record(1)
    #expect(tracker.record(1) == .duplicate)
    for sequence in 2..<10 { tracker.record(sequence) }
    #expect(tracker.record(0) == .duplicate)
    #expect(tracker.duplicateCount == 2)
    #expect(tracker.uniqueCount == 10)
    #expect(tracker.isComplete)
  }

  @Test("a message arriving after a later one is reordered, not lost")
  func reordering() {
    var tracker = SequenceTracker(expectedCount: 5)
    #expect(tracker.record(0) == .inOrder)
    #expect(tracker.record(2) == .inOrder)
    #expect(tracker.record(1) == .reordered)
    #expect(tracker.record(4) == .inOrder)
    #expect(tracker.record(3) == .reordered)
    #expect(tracker.reorderedCount == 2)
    #expect(tracker.isComplete)
  }

  @Test("sequence numbers never sent are out of range and not counted as delivered")
  func outOfRange() {
    var tracker = SequenceTracker(expectedCount: 3)
    #expect(tracker.record(3) == .outOfRange)
    #expect(tracker.record(-1) == .outOfRange)
    #expect(tracker.outOfRangeCount == 2)
    #expect(tracker.uniqueCount == 0)
  }
}
