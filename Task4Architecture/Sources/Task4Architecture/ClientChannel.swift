import Synchronization
import Task1Echo
import Task2Roles

#if canImport(Glibc)
  import Glibc
#endif

/// A client connection as the replicated broker writes to it: Task 2's `Outbox` plus the time
/// something was last queued, so that a quiet connection can be sent a `PING`.
///
/// A Task 4 client presumes its broker dead after 250 ms without a byte. The broker therefore
/// makes sure no connection stays quiet for longer than a heartbeat interval: it pings those
/// that had nothing else to read.
final class ClientChannel: Sendable {
  /// The client's outbound queue.
  let outbox: Outbox
  /// The client's name, for logs.
  let name: String
  /// When a line was last queued for the client (monotonic nanoseconds).
  private let lastQueued = Atomic<Int64>(0)

  init(outbox: Outbox, name: String) {
    self.outbox = outbox
    self.name = name
    lastQueued.store(monotonicNow(), ordering: .relaxed)
  }

  /// Queues `line` and a newline.
  func send(_ line: String) {
    outbox.enqueue(line: line)
    lastQueued.store(monotonicNow(), ordering: .relaxed)
  }

  /// Queues bytes that already end in newlines.
  func send(bytes: [UInt8]) {
    guard !bytes.isEmpty else { return }
    outbox.enqueue(bytes)
    lastQueued.store(monotonicNow(), ordering: .relaxed)
  }

  /// Whether nothing was queued for at least `interval` before `now`.
  func isQuiet(for interval: Duration, at now: Int64) -> Bool {
    now - lastQueued.load(ordering: .relaxed) >= interval.nanoseconds
  }
}

/// Monotonic time in nanoseconds: unaffected by changes to the wall clock.
func monotonicNow() -> Int64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

extension Duration {
  /// The duration in nanoseconds.
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }

  /// The duration in seconds, for Foundation's date arithmetic.
  var seconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }
}
