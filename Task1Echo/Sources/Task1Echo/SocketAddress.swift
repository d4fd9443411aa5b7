#if canImport(Glibc)
  import Glibc
#endif

/// An IPv4 or IPv6 socket address, printable as `host:port` (`[host]:port` for IPv6).
public struct SocketAddress: Sendable, CustomStringConvertible {
  /// The raw address, as the kernel reads and writes it.
  public let storage: sockaddr_storage

  /// Wraps an address filled in by `accept`, `getsockname` or `getaddrinfo`.
  public init(_ storage: sockaddr_storage) {
    self.storage = storage
  }

  /// The port, in host byte order.
  public var port: UInt16 {
    var copy = storage
    return withUnsafePointer(to: &copy) { pointer in
      switch Int32(storage.ss_family) {
      case AF_INET:
        pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
          UInt16(bigEndian: $0.pointee.sin_port)
        }
      case AF_INET6:
        pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
          UInt16(bigEndian: $0.pointee.sin6_port)
        }
      default:
        0
      }
    }
  }

  /// The numeric host, with an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) shown as the IPv4
  /// address a person typed.
  public var host: String {
    var copy = storage
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    return withUnsafePointer(to: &copy) { pointer in
      switch Int32(storage.ss_family) {
      case AF_INET:
        return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
          var raw = address.pointee.sin_addr
          inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
          return String(nullTerminated: buffer)
        }
      case AF_INET6:
        return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
          var raw = address.pointee.sin6_addr
          inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
          let text = String(nullTerminated: buffer)
          return text.hasPrefix("::ffff:") && text.contains(".") ? String(text.dropFirst(7)) : text
        }
      default:
        return "?"
      }
    }
  }

  public var description: String {
    let host = self.host
    return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
  }

  /// The byte length the kernel expects for this address family.
  var length: socklen_t {
    socklen_t(
      Int32(storage.ss_family) == AF_INET6
        ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
  }

  /// Resolves `host` and `port` to the addresses to try, in the order `getaddrinfo` prefers.
  ///
  /// `host` may be a name (`localhost`), an IPv4 address or an IPv6 address (brackets are
  /// accepted and removed). With `host == nil` and `passive` set, the result is the wildcard
  /// address for binding. The corresponding C function is `getaddrinfo(3)`.
  ///
  /// - Throws: `SocketError.unresolvable` when the name does not resolve.
  public static func resolve(host: String?, port: UInt16, passive: Bool = false)
    throws -> [SocketAddress]
  {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) | AI_ADDRCONFIG
    let name = host.map {
      $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0
    }
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(name, String(port), &hints, &list)
    guard status == 0, let list else {
      let reason =
        status == EAI_SYSTEM
        ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
      throw SocketError.unresolvable(host: host ?? "*", reason: reason)
    }
    defer { freeaddrinfo(list) }
    var addresses: [SocketAddress] = []
    var entry: UnsafeMutablePointer<addrinfo>? = list
    while let current = entry {
      if let address = current.pointee.ai_addr {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { destination in
          destination.copyMemory(
            from: UnsafeRawBufferPointer(start: address, count: Int(current.pointee.ai_addrlen)))
        }
        addresses.append(SocketAddress(storage))
      }
      entry = current.pointee.ai_next
    }
    return addresses
  }

  /// Runs `body` with the address as the `sockaddr` pointer and length C calls take.
  func withSocketAddressPointer<Result>(
    _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result
  ) rethrows -> Result {
    var copy = storage
    let length = self.length
    return try withUnsafePointer(to: &copy) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        try body(address, length)
      }
    }
  }
}

extension String {
  /// Decodes a C string held in a fixed-size buffer, stopping at the first NUL.
  init(nullTerminated buffer: [CChar]) {
    self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
