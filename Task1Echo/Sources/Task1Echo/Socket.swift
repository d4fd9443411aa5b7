#if canImport(Glibc)
  import Glibc
#endif

/// The single owner of one socket descriptor.
///
/// The descriptor is closed exactly once, when the last reference to its `Socket` goes away.
/// That rule is what makes sharing a socket between threads safe: a thread blocked in
/// `recv` holds a reference, so the number cannot be closed under it and reused by an
/// unrelated `accept` on another thread. To wake a thread that is blocked on the socket, call
/// `shutdown(_:)`, which every blocked call notices at once.
///
/// The type is `Sendable` because its only state is the immutable descriptor number; the
/// kernel serialises concurrent calls on it.
public final class Socket: Sendable {
  /// The descriptor this object owns.
  public let descriptor: Int32

  /// Takes ownership of `descriptor`; it will be closed when this object is released.
  public init(adopting descriptor: Int32) {
    precondition(descriptor >= 0, "invalid descriptor \(descriptor)")
    self.descriptor = descriptor
  }

  /// Creates a new stream socket that is not inherited by child processes.
  ///
  /// The corresponding C function is `socket(2)`.
  public convenience init(family: Int32) throws {
    let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    let descriptor = try retryingOnInterrupt("socket") { Glibc.socket(family, kind, 0) }
    self.init(adopting: descriptor)
  }

  deinit {
    // Never retried: see `retryingOnInterrupt`. Nothing useful can be done with an error here.
    _ = Glibc.close(descriptor)
  }

  /// The directions `shutdown(_:)` can close.
  public enum Direction: Sendable {
    /// No more receiving; a blocked `recv` returns end of stream.
    case read
    /// No more sending; the peer sees end of stream after the bytes already sent.
    case write
    /// Both.
    case both

    var rawValue: Int32 {
      switch self {
      case .read: Int32(SHUT_RD)
      case .write: Int32(SHUT_WR)
      case .both: Int32(SHUT_RDWR)
      }
    }
  }

  /// Closes one or both directions of the connection without releasing the descriptor.
  ///
  /// Safe to call from any thread, any number of times; errors (such as `ENOTCONN` on a
  /// socket the peer already reset) are ignored because the goal, no more traffic, holds.
  /// The corresponding C function is `shutdown(2)`.
  public func shutdown(_ direction: Direction = .both) {
    _ = Glibc.shutdown(descriptor, direction.rawValue)
  }

  /// Sets an integer socket option.
  ///
  /// The corresponding C function is `setsockopt(2)`.
  public func setOption(level: Int32, name: Int32, value: Int32) throws {
    var value = value
    _ = try retryingOnInterrupt("setsockopt") {
      setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }
  }

  /// Sets the receive timeout (`SO_RCVTIMEO`); `nil` waits forever.
  ///
  /// A receive that waits longer throws `SocketError.timedOut`. Tests use it so that a
  /// broken server fails a test instead of hanging the suite.
  public func setReceiveTimeout(_ timeout: Duration?) throws {
    try setTimeout(SO_RCVTIMEO, timeout)
  }

  /// Sets the send timeout (`SO_SNDTIMEO`); `nil` waits forever.
  ///
  /// A send that cannot make progress for that long throws `SocketError.timedOut`: the
  /// write deadline that keeps a stalled peer from holding a writer thread forever.
  public func setSendTimeout(_ timeout: Duration?) throws {
    try setTimeout(SO_SNDTIMEO, timeout)
  }

  private func setTimeout(_ name: Int32, _ timeout: Duration?) throws {
    var value = timeval()
    if let timeout {
      let (seconds, attoseconds) = timeout.components
      value.tv_sec = Int(seconds)
      value.tv_usec = Int(attoseconds / 1_000_000_000_000)
      if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1 }  // 0 would mean "forever"
    }
    _ = try retryingOnInterrupt("setsockopt") {
      setsockopt(descriptor, SOL_SOCKET, name, &value, socklen_t(MemoryLayout<timeval>.size))
    }
  }

  /// The local address the socket is bound to.
  ///
  /// The corresponding C function is `getsockname(2)`.
  public func localAddress() throws -> SocketAddress {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = try withUnsafeMutablePointer(to: &storage) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        try retryingOnInterrupt("getsockname") { getsockname(descriptor, address, &length) }
      }
    }
    return SocketAddress(storage)
  }
}
