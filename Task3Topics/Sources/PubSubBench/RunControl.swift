import Foundation
import Synchronization
import Task1Echo

/// What the threads of one run share: progress counters, the first failure, and a condition
/// to sleep on until something changes.
///
/// Counters are atomics rather than lock-guarded because readers update them after every
/// chunk they receive (hundreds of thousands of times a second in a fast run); the waiting
/// side uses a condition variable so that a blocked publisher costs no CPU.
final class RunControl: Sendable {
  /// Distinct deliveries so far, over all subscribers.
  let delivered = Atomic<Int>(0)
  /// Subscribers that have received everything owed to them.
  let completedSubscribers = Atomic<Int>(0)

  /// Set on the first failure: publishers stop sending.
  private let failed = Atomic<Bool>(false)
  /// Set when the run is over (finished or failed): readers stop reading.
  private let finished = Atomic<Bool>(false)
  /// The first failure's message.
  private let firstFailure = Guarded<String?>(nil)
  /// Threads sleeping in `waitForProgress`; lets `notifyProgress` skip the lock when none.
  private let sleepers = Atomic<Int>(0)
  /// Wakes sleepers; its lock orders "check, then sleep" against "update, then wake".
  private let condition = NSCondition()

  /// Whether the run has failed.
  var hasFailed: Bool { failed.load(ordering: .sequentiallyConsistent) }
  /// Whether the run is over.
  var isFinished: Bool { finished.load(ordering: .sequentiallyConsistent) }
  /// The first failure, if any.
  var failure: String? { firstFailure.value }

  /// Records a failure (only the first is kept) and stops the run.
  func fail(_ message: String) {
    firstFailure.withLock { failure in
      if failure == nil { failure = message }
    }
    failed.store(true, ordering: .sequentiallyConsistent)
    notifyProgress(always: true)
  }

  /// Ends the run: readers return.
  func finish() {
    finished.store(true, ordering: .sequentiallyConsistent)
    notifyProgress(always: true)
  }

  /// Wakes every thread in `waitForProgress`. Call after updating a counter.
  func notifyProgress(always: Bool = false) {
    // The counter update (sequentially consistent) comes before this load, and a sleeper
    // registers before re-checking the counters, so either it sees the update or we see it.
    guard always || sleepers.load(ordering: .sequentiallyConsistent) > 0 else { return }
    condition.lock()
    condition.broadcast()
    condition.unlock()
  }

  /// Sleeps until progress is notified or `timeout` passes, unless `isBlocked` (checked
  /// under the lock) already says there is no need.
  func waitForProgress(timeout: Duration, while isBlocked: () -> Bool) {
    condition.lock()
    sleepers.add(1, ordering: .sequentiallyConsistent)
    if isBlocked() && !hasFailed {
      let seconds = Double(Clock.nanoseconds(timeout)) / 1e9
      _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
    }
    sleepers.subtract(1, ordering: .sequentiallyConsistent)
    condition.unlock()
  }
}

/// How many messages one subscriber has received from one publisher: written by the
/// subscriber's reader thread, read by the publisher to keep its window.
final class PairProgress: Sendable {
  /// Distinct messages received.
  let received = Atomic<Int>(0)
}

/// A failure that ends a run, with the message to report.
struct BenchFailure: Error, CustomStringConvertible {
  /// What went wrong, naming the connection.
  let description: String

  init(_ description: String) {
    self.description = description
  }
}
