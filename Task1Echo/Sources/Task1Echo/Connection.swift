#if canImport(Glibc)
  import Glibc
#endif

/// One end of a TCP connection: a byte stream in each direction.
///
/// TCP delivers bytes, not messages: one `send` may arrive in several `receive`s and several
/// sends may arrive in one. Framing the stream into lines is `LineFramer`'s job.
///
/// A connection may be used from two threads at once, one receiving and one sending (that is
/// how every client and server in the workbook uses it); the kernel keeps the two directions
/// apart.
public final class Connection: Sendable {
  /// The descriptor's owner.
  public let socket: Socket
  /// The address of the other end, for logs.
  public let peer: SocketAddress

  /// Wraps a connected socket; turns on `TCP_NODELAY` so short lines go out at once.
  public init(socket: Socket, peer: SocketAddress) {
    self.socket = socket
    self.peer = peer
    // A chat-like protocol sends small lines and waits for nothing in return, the pattern
    // Nagle's algorithm delays. Failing to set it only costs latency, so ignore errors.
    try? socket.setOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
  }

  /// Connects to `host` on `port`, trying each address the name resolves to (IPv6 and IPv4)
  /// in turn.
  ///
  /// The corresponding C functions are `getaddrinfo(3)` and `connect(2)`.
  ///
  /// - Throws: `SocketError.unresolvable` for an unknown host, otherwise the error of the last
  ///   address tried (`ECONNREFUSED` when nothing listens).
  public static func connect(host: String, port: UInt16) throws -> Connection {
    var lastError = SocketError.unresolvable(host: host, reason: "no addresses")
    for address in try SocketAddress.resolve(host: host, port: port) {
      do {
        let socket = try Socket(family: Int32(address.storage.ss_family))
        // A connect interrupted by a signal goes on in the background; retrying it would fail
        // with EALREADY, so EINTR is handled by waiting for the outcome instead.
        let status = address.withSocketAddressPointer { pointer, length in
          Glibc.connect(socket.descriptor, pointer, length)
        }
        if status != 0 {
          let code = errno
          if code != EINTR { throw SocketError.failed(operation: "connect", errno: code) }
          try waitForConnect(socket)
        }
        return Connection(socket: socket, peer: address)
      } catch let error as SocketError {
        lastError = error
      }
    }
    throw lastError
  }

  private static func waitForConnect(_ socket: Socket) throws {
    var descriptor = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
    _ = try retryingOnInterrupt("poll") { poll(&descriptor, 1, -1) }
    var code: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    _ = try retryingOnInterrupt("getsockopt") {
      getsockopt(socket.descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
    }
    if code != 0 { throw SocketError.failed(operation: "connect", errno: code) }
  }

  /// Sends every byte of `bytes`, looping over partial writes.
  ///
  /// `send` may accept fewer bytes than asked (the kernel's buffer was nearly full); stopping
  /// there would silently lose the rest. `MSG_NOSIGNAL` turns a closed peer into an error
  /// instead of a `SIGPIPE` that would kill the process. The corresponding C function is
  /// `send(2)`.
  ///
  /// - Throws: `SocketError.disconnected` if the peer has gone, `.timedOut` if a send timeout
  ///   is set and the peer stopped reading.
  public func sendAll(_ bytes: UnsafeRawBufferPointer) throws {
    guard var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let sent = try retryingOnInterrupt("send") {
        Glibc.send(socket.descriptor, next, remaining, Int32(MSG_NOSIGNAL))
      }
      next += sent
      remaining -= sent
    }
  }

  /// Sends every byte of `bytes`.
  public func sendAll(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { buffer in try sendAll(buffer) }
  }

  /// Sends `text` as UTF-8.
  public func sendAll(_ text: String) throws {
    var text = text
    try text.withUTF8 { buffer in try sendAll(UnsafeRawBufferPointer(buffer)) }
  }

  /// Receives whatever bytes have arrived, up to `buffer.count`, waiting for at least one.
  ///
  /// The corresponding C function is `recv(2)`.
  ///
  /// - Returns: The number of bytes received, or 0 at end of stream (the peer closed its
  ///   sending side). 0 is not an error: it is how TCP says "that was everything".
  /// - Throws: `SocketError.timedOut` when a receive timeout expires, `.disconnected` when the
  ///   connection was reset.
  public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    try retryingOnInterrupt("recv") { recv(socket.descriptor, buffer.baseAddress, buffer.count, 0) }
  }

  /// Receives up to `maximumCount` bytes; `nil` at end of stream.
  public func receive(maximumCount: Int = 65_536) throws -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: maximumCount)
    let count = try bytes.withUnsafeMutableBytes { buffer in
      try receive(into: buffer)
    }
    if count == 0 { return nil }
    bytes.removeSubrange(count...)
    return bytes
  }

  /// Stops sending: the peer reads everything sent so far, then end of stream.
  public func finishSending() {
    socket.shutdown(.write)
  }

  /// Shuts the connection down in both directions, waking any thread blocked on it. The
  /// descriptor itself is closed when the last reference goes away (see `Socket`).
  public func close() {
    socket.shutdown(.both)
  }
}

/// A reusable buffer for `recv`, owned by the one thread that reads a connection.
///
/// It is allocated without being filled: the kernel writes only the bytes that arrive, so a
/// connection that stays quiet never makes its 64 KiB resident. (A `[UInt8](repeating: 0,
/// count:)` writes every byte up front, which costs a thousand idle clients 64 MiB.)
public final class ReceiveBuffer {
  private let storage: UnsafeMutableRawBufferPointer

  /// Allocates a buffer of `capacity` bytes.
  public init(capacity: Int = 65_536) {
    storage = .allocate(byteCount: capacity, alignment: 16)
  }

  deinit {
    storage.deallocate()
  }

  /// Receives what has arrived on `connection` and returns it; empty at end of stream. The
  /// bytes are valid until the next call.
  public func receive(from connection: Connection) throws -> UnsafeRawBufferPointer {
    let count = try connection.receive(into: storage)
    return UnsafeRawBufferPointer(rebasing: storage[..<count])
  }
}
