import BenchmarkKit
import Task1Echo

#if canImport(Glibc)
  import Glibc
#endif

/// A TCP connection to a broker with its own receive buffer.
///
/// One thread at a time receives (the handshake on the main thread, then one reader or
/// publisher thread), so the buffer needs no lock; the class is `@unchecked Sendable` only
/// so that it can be handed from the main thread to that one thread.
final class BrokerConnection: @unchecked Sendable {
  /// The bytes received and not yet consumed are `storage[start ..< end]`.
  static let bufferSize = 256 * 1024

  /// The socket.
  let connection: Connection
  /// `"subscriber 3"`, `"publisher 0"`: names the connection in failure messages.
  let label: String
  private let storage: UnsafeMutableRawBufferPointer
  private var start = 0
  private var end = 0

  /// Connects to `target`. Sends and handshake receives give up after `timeout`, so a broker
  /// that stops reading or answering fails the run instead of hanging it.
  init(to target: Target, label: String, timeout: Duration) throws(BenchFailure) {
    do {
      connection = try Self.connect(to: target, timeout: timeout)
      try connection.socket.setReceiveTimeout(timeout)
      try connection.socket.setSendTimeout(timeout)
    } catch {
      throw BenchFailure(
        "\(label): cannot connect to \(target.name) at \(target.host):\(target.port): \(error)")
    }
    self.label = label
    storage = .allocate(byteCount: Self.bufferSize, alignment: 16)
  }

  deinit {
    storage.deallocate()
  }

  /// Connects with a deadline: a plain `connect` to a broker that has stopped accepting
  /// (its listen queue full) waits for the kernel's SYN retries, about two minutes.
  ///
  /// The socket is made non-blocking for the `connect`, which then returns at once
  /// (`EINPROGRESS`), and `poll` waits at most `timeout` for it to finish.
  private static func connect(to target: Target, timeout: Duration) throws -> Connection {
    var lastError = SocketError.unresolvable(host: target.host, reason: "no addresses")
    for address in try SocketAddress.resolve(host: target.host, port: target.port) {
      let socket = try Socket(family: Int32(address.storage.ss_family))
      let flags = fcntl(socket.descriptor, F_GETFL)
      _ = fcntl(socket.descriptor, F_SETFL, flags | O_NONBLOCK)
      var storage = address.storage
      let length = socklen_t(
        storage.ss_family == sa_family_t(AF_INET6)
          ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
      let status = withUnsafePointer(to: &storage) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
          Glibc.connect(socket.descriptor, address, length)
        }
      }
      var code = status == 0 ? 0 : errno
      if code == EINPROGRESS || code == EINTR {
        var watched = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
        let milliseconds = Int32(Clock.nanoseconds(timeout) / 1_000_000)
        let ready = try retryingOnInterrupt("poll") { poll(&watched, 1, milliseconds) }
        if ready == 0 {
          code = ETIMEDOUT
        } else {
          var length = socklen_t(MemoryLayout<Int32>.size)
          _ = try retryingOnInterrupt("getsockopt") {
            getsockopt(socket.descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
          }
        }
      }
      if code == 0 {
        _ = fcntl(socket.descriptor, F_SETFL, flags)
        return Connection(socket: socket, peer: address)
      }
      lastError = .failed(operation: "connect", errno: code)
    }
    throw lastError
  }

  /// The bytes received and not yet consumed.
  var unconsumed: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: storage[start..<end])
  }

  /// Marks `count` bytes at the front of `unconsumed` as used.
  func consume(_ count: Int) {
    start += count
    if start == end {
      start = 0
      end = 0
    }
  }

  /// What one receive brought.
  enum ReceiveOutcome {
    /// Bytes were added to `unconsumed`; `filled` is whether the receive filled all the room
    /// there was (more may be waiting).
    case received(filled: Bool)
    /// Nothing is waiting (non-blocking receive).
    case wouldBlock
    /// The broker closed the connection.
    case closed
  }

  /// Receives whatever has arrived into the free end of the buffer.
  ///
  /// - Parameter waiting: Whether to wait (up to the receive timeout) for data to arrive.
  /// - Throws: `BenchFailure` when the buffer is full of one unfinished item (a line longer
  ///   than any protocol allows), on a receive timeout, or on a socket error.
  func receive(waiting: Bool) throws(BenchFailure) -> ReceiveOutcome {
    if start > 0 && end == storage.count {
      // Slide the unfinished item to the front; it is short, so this copies little.
      storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: end - start)
      end -= start
      start = 0
    }
    let room = storage.count - end
    guard room > 0 else { throw BenchFailure("\(label): an item larger than the buffer arrived") }
    let received = recv(
      connection.socket.descriptor, storage.baseAddress! + end, room,
      waiting ? 0 : Int32(MSG_DONTWAIT))
    if received > 0 {
      end += received
      return .received(filled: received == room)
    }
    if received == 0 { return .closed }
    let code = errno
    switch code {
    case EAGAIN where !waiting: return .wouldBlock
    case EINTR: return .received(filled: true)  // nothing read; the caller simply tries again
    case EAGAIN: throw BenchFailure("\(label): no reply from the broker in time")
    case ECONNRESET: return .closed
    default:
      throw BenchFailure("\(label): receive failed: \(String(cString: strerror(code)))")
    }
  }

  /// Sends all of `bytes`, waiting at most the send timeout for the broker to make room.
  func send(_ bytes: UnsafeRawBufferPointer) throws(BenchFailure) {
    do {
      try connection.sendAll(bytes)
    } catch SocketError.timedOut {
      throw BenchFailure("\(label): the broker accepted nothing for the whole send timeout")
    } catch {
      throw BenchFailure("\(label): send failed: \(error)")
    }
  }

  /// Sends all of `bytes`.
  func send(_ bytes: [UInt8]) throws(BenchFailure) {
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(BenchFailure) in try send(buffer) }
    }
    try result.get()
  }

  /// Runs an opening exchange, answering any `PING` on the way.
  ///
  /// - Returns: The rest of the line that matched the last expected prefix (the name the
  ///   broker gave this client, for Task 2 and Task 3).
  /// - Throws: `BenchFailure` on `-ERR`, an unexpected line, end of stream or a timeout.
  func perform(_ steps: [HandshakeStep], pong: [UInt8]) throws(BenchFailure) -> String {
    var captured = ""
    for step in steps {
      switch step {
      case .send(let text):
        try send(Array(text.utf8))
      case .expect(let prefix):
        while true {
          let line = try readLine()
          if line.hasPrefix(prefix) {
            captured = String(line.dropFirst(prefix.count))
            break
          }
          if line == "PING" {
            try send(pong)
            continue
          }
          throw BenchFailure("\(label): expected '\(prefix)...' from the broker, got '\(line)'")
        }
      }
    }
    return captured
  }

  /// Reads one line, waiting up to the receive timeout.
  private func readLine() throws(BenchFailure) -> String {
    while true {
      let bytes = unconsumed
      if let newline = bytes.firstIndex(of: 0x0A) {
        var line = String(decoding: bytes[..<newline], as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        consume(newline + 1)
        return line
      }
      if case .closed = try receive(waiting: true) {
        throw BenchFailure("\(label): the broker closed the connection during the handshake")
      }
    }
  }

  /// Shuts the connection down (the descriptor closes when the last reference goes).
  func close() {
    connection.close()
  }
}
