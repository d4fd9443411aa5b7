import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A listening TCP socket: it accepts connections on one port.
public final class Listener: Sendable {
  /// The descriptor's owner.
  public let socket: Socket
  /// The port actually bound: the one asked for, or the one the kernel chose for port 0.
  public let localPort: UInt16
  /// Set once by `close()`, so that `accept` can tell a deliberate stop from a failure.
  private let closing = Flag()

  private init(socket: Socket, localPort: UInt16) {
    self.socket = socket
    self.localPort = localPort
  }

  /// Binds `port` and starts listening.
  ///
  /// With `host == nil` the listener takes every interface, IPv6 and IPv4 together (one
  /// dual-stack socket, falling back to IPv4 alone where IPv6 is unavailable), so that a
  /// classmate on another machine can connect. Pass `"127.0.0.1"` to stay private to this
  /// machine. Port 0 lets the kernel choose a free port; read it from `localPort`.
  ///
  /// `SO_REUSEADDR` is set before `bind` so a restarted server can take its port back at once
  /// instead of failing for a minute while old connections sit in `TIME_WAIT`.
  ///
  /// The corresponding C functions are `socket(2)`, `setsockopt(2)`, `bind(2)` and `listen(2)`.
  ///
  /// - Throws: `SocketError.failed(operation: "bind", errno: EADDRINUSE)` when the port is
  ///   taken, or another `SocketError`.
  public static func bind(host: String? = nil, port: UInt16, backlog: Int32 = SOMAXCONN)
    throws -> Listener
  {
    var candidates: [SocketAddress]
    if let host {
      candidates = try SocketAddress.resolve(host: host, port: port, passive: true)
    } else {
      candidates = [wildcard(family: AF_INET6, port: port), wildcard(family: AF_INET, port: port)]
    }
    var lastError = SocketError.unresolvable(host: host ?? "*", reason: "no addresses")
    for address in candidates {
      do {
        return try bind(address, backlog: backlog)
      } catch let error as SocketError {
        lastError = error
        // Only a missing address family is worth another try; a taken port is taken for all.
        if case .failed(_, let code) = error, code == EAFNOSUPPORT || code == EADDRNOTAVAIL {
          continue
        }
        throw error
      }
    }
    throw lastError
  }

  private static func bind(_ address: SocketAddress, backlog: Int32) throws -> Listener {
    let family = Int32(address.storage.ss_family)
    // If anything below throws, `socket` is released and its descriptor closed: no leak.
    let socket = try Socket(family: family)
    try socket.setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
    if family == AF_INET6 {
      try socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 0)
    }
    _ = try address.withSocketAddressPointer { pointer, length in
      try retryingOnInterrupt("bind") { Glibc.bind(socket.descriptor, pointer, length) }
    }
    _ = try retryingOnInterrupt("listen") { listen(socket.descriptor, backlog) }
    return Listener(socket: socket, localPort: try socket.localAddress().port)
  }

  private static func wildcard(family: Int32, port: UInt16) -> SocketAddress {
    var storage = sockaddr_storage()
    withUnsafeMutablePointer(to: &storage) { pointer in
      if family == AF_INET6 {
        pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
          address.pointee.sin6_family = sa_family_t(AF_INET6)
          address.pointee.sin6_port = port.bigEndian
          address.pointee.sin6_addr = in6addr_any
        }
      } else {
        pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
          address.pointee.sin_family = sa_family_t(AF_INET)
          address.pointee.sin_port = port.bigEndian
          address.pointee.sin_addr.s_addr = INADDR_ANY
        }
      }
    }
    return SocketAddress(storage)
  }

  /// Waits for the next connection and returns it.
  ///
  /// The corresponding C function is `accept(2)`.
  ///
  /// - Throws: `SocketError.closed` once `close()` has been called, otherwise the failure.
  ///   `ECONNABORTED` (a client gave up while queued) is skipped, not reported.
  public func accept() throws -> Connection {
    while true {
      var storage = sockaddr_storage()
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      do {
        let descriptor = try withUnsafeMutablePointer(to: &storage) { pointer in
          try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            try retryingOnInterrupt("accept") { Glibc.accept(socket.descriptor, address, &length) }
          }
        }
        // Not inherited by programs this process starts (tests start many). Glibc does not
        // export `accept4`, which would set this atomically.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        if closing.isSet {
          _ = Socket(adopting: descriptor)  // released at once: closes the late arrival
          throw SocketError.closed
        }
        return Connection(socket: Socket(adopting: descriptor), peer: SocketAddress(storage))
      } catch {
        if closing.isSet { throw SocketError.closed }
        if case SocketError.failed(_, ECONNABORTED) = error { continue }
        throw error
      }
    }
  }

  /// Stops listening and wakes a thread blocked in `accept`, which then throws
  /// `SocketError.closed`. Safe to call from any thread (a signal handler's thread, say).
  public func close() {
    closing.set()
    // On Linux, shutting down a listening socket makes a blocked accept return EINVAL.
    socket.shutdown(.both)
  }
}

/// A Boolean that is set once and read from any thread.
final class Flag: @unchecked Sendable {
  // `value` is guarded by `lock`.
  private let lock = NSLock()
  private var value = false

  var isSet: Bool { lock.withLock { value } }

  func set() { lock.withLock { value = true } }
}
