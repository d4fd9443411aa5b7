import Foundation
import Task1Echo

#if canImport(Glibc)
  import Glibc
#endif

/// A client's outbound queue, drained by a writer thread of its own.
///
/// This is the answer to the slow-consumer problem. If a publisher's thread wrote to each
/// subscriber's socket itself, one subscriber that stopped reading (its process suspended
/// with Ctrl-Z, its network gone quiet) would fill its socket buffer, block that `send`, and
/// stall the publisher and through it every other subscriber. Instead, publishers only
/// append bytes here, which never blocks on the network; this outbox's own thread does the
/// sending, many queued messages per `send`.
///
/// The queue is bounded. When a client lets more than `maximumPendingBytes` pile up, the
/// policy is disconnect (as NATS and Redis do for slow consumers): the queued bytes are
/// dropped, the client is sent `-ERR slow consumer: ...` if it is still reading, and the
/// connection is closed. Server memory per client therefore never exceeds about twice the
/// limit (the queue plus the batch being sent), however long a subscriber stays stopped.
/// A client that accepts no bytes at all for `writeDeadline` is disconnected the same way.
public final class Outbox: @unchecked Sendable {
  /// The limits an outbox enforces.
  public struct Limits: Sendable {
    /// The most bytes queued for one client before it counts as a slow consumer.
    public var maximumPendingBytes: Int
    /// How long one `send` may make no progress before the client counts as dead.
    public var writeDeadline: Duration

    /// The defaults: 4 MiB queued, 5 s without progress.
    public static let standard = Limits(maximumPendingBytes: 4 << 20, writeDeadline: .seconds(5))

    /// Creates limits.
    public init(maximumPendingBytes: Int, writeDeadline: Duration) {
      self.maximumPendingBytes = maximumPendingBytes
      self.writeDeadline = writeDeadline
    }
  }

  /// What `enqueue` did with the bytes.
  public enum EnqueueResult: Sendable, Equatable {
    /// Queued for sending.
    case queued
    /// Refused: this enqueue made the client a slow consumer (reported once); the outbox is
    /// closing.
    case overflowed
    /// Refused: the outbox is already closing or closed.
    case closed
  }

  /// Why an outbox stopped.
  public enum EndReason: Sendable, Equatable {
    /// `close(finalLine:)` was called and everything queued was sent.
    case closed
    /// More than `maximumPendingBytes` were queued.
    case slowConsumer(limit: Int)
    /// A send failed: the peer went away, or made no progress for the write deadline.
    case sendFailed(SocketError)
  }

  private enum State {
    case open
    case draining
    case finished
  }

  /// The connection written to.
  public let connection: Connection
  private let limits: Limits

  // Everything below is guarded by `condition`'s lock. The writer waits on `condition` for
  // bytes to arrive or the state to change; waiters for the end wait on it too.
  private let condition = NSCondition()
  private var pending: [UInt8] = []
  private var state = State.open
  private var reason: EndReason?

  /// Creates an outbox for `connection`; call `start()` to begin sending.
  public init(connection: Connection, limits: Limits = .standard) {
    self.connection = connection
    self.limits = limits
    try? connection.socket.setSendTimeout(limits.writeDeadline)
  }

  /// Starts the writer thread.
  public func start() {
    let writer = Thread { [self] in drain() }
    writer.name = "outbox \(connection.peer)"
    writer.stackSize = 256 << 10
    writer.start()
  }

  /// Queues `bytes` for sending, without waiting for the network.
  ///
  /// - Returns: `.queued`, or why the bytes were refused. `.overflowed` is returned to the
  ///   one call that made the client a slow consumer, so its caller can report it once.
  @discardableResult
  public func enqueue(_ bytes: UnsafeRawBufferPointer) -> EnqueueResult {
    condition.lock()
    defer { condition.unlock() }
    guard state == .open else { return .closed }
    if pending.count + bytes.count > limits.maximumPendingBytes {
      // Drop what is queued: it will never be read in time. Keep only the reason.
      pending = Array(
        "-ERR slow consumer: more than \(limits.maximumPendingBytes) bytes queued; disconnecting\n"
          .utf8)
      pending.reserveCapacity(0)
      state = .draining
      reason = .slowConsumer(limit: limits.maximumPendingBytes)
      condition.broadcast()
      return .overflowed
    }
    let wasEmpty = pending.isEmpty
    pending.append(contentsOf: bytes)
    // The writer only waits when the queue is empty, so only then does it need waking.
    if wasEmpty { condition.broadcast() }
    return .queued
  }

  /// Queues `bytes` for sending.
  @discardableResult
  public func enqueue(_ bytes: [UInt8]) -> EnqueueResult {
    bytes.withUnsafeBytes { enqueue($0) }
  }

  /// Queues `line` and a newline.
  @discardableResult
  public func enqueue(line: String) -> EnqueueResult {
    enqueue(Array((line + "\n").utf8))
  }

  /// Sends what is queued, then `finalLine` if given, then shuts the connection down.
  /// Later `enqueue` calls are refused. Safe to call more than once and from any thread.
  public func close(finalLine: String? = nil) {
    condition.lock()
    defer { condition.unlock() }
    guard state == .open else { return }
    if let finalLine { pending.append(contentsOf: Array((finalLine + "\n").utf8)) }
    state = .draining
    reason = reason ?? .closed
    condition.broadcast()
  }

  /// Why the outbox stopped, or `nil` while it is open.
  public var endReason: EndReason? {
    condition.lock()
    defer { condition.unlock() }
    return state == .open ? nil : reason
  }

  /// The number of bytes queued and not yet handed to the kernel.
  public var pendingByteCount: Int {
    condition.lock()
    defer { condition.unlock() }
    return pending.count
  }

  /// Waits until the writer has finished (everything sent or given up), or `deadline`.
  /// - Returns: Whether it finished in time.
  @discardableResult
  public func waitUntilFinished(before deadline: Date) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while state != .finished {
      if !condition.wait(until: deadline) { return state == .finished }
    }
    return true
  }

  /// The writer thread: takes everything queued at once and sends it with as few system
  /// calls as possible, outside the lock, so publishers can keep appending meanwhile.
  private func drain() {
    var batch: [UInt8] = []
    while true {
      condition.lock()
      while pending.isEmpty && state == .open { condition.wait() }
      if pending.isEmpty {
        condition.unlock()
        break
      }
      // Swap buffers instead of copying: the queue takes the (empty) spare.
      swap(&batch, &pending)
      condition.unlock()
      do {
        try connection.sendAll(batch)
      } catch let error as SocketError {
        condition.lock()
        if reason == nil || reason == .closed { reason = .sendFailed(error) }
        pending = []
        state = .draining
        condition.unlock()
        break
      } catch {
        break
      }
      batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)  // keep memory from bursts
    }
    // Shutting down both directions also wakes this client's reader thread, which then
    // cleans up; the descriptor closes when the last reference goes.
    connection.close()
    condition.lock()
    state = .finished
    if reason == nil { reason = .closed }
    condition.broadcast()
    condition.unlock()
  }
}
