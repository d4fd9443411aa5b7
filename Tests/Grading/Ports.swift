import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Chooses the ports submissions are started on.
///
/// The grader cannot ask a submission which port it got from port 0 (its output format is
/// its own), so it picks a free port and passes it. The port comes from below the kernel's
/// ephemeral range, where no outgoing connection and no `bind(0)` will take it in the
/// meantime; it is never 5000 (a student's own server may be running there), never handed out
/// twice by one grader (a killed server's port may linger in `TIME_WAIT`), and checked to be
/// free on IPv4 and IPv6 just before it is handed out. The start is random, so two graders
/// running at once rarely even try the same port.
public final class PortPicker: @unchecked Sendable {
  /// The picker every check uses.
  public static let shared = PortPicker()

  private let range: ClosedRange<Int>
  /// Guards `next`.
  private let lock = NSLock()
  private var next: Int

  init() {
    let ephemeralStart = Self.ephemeralPortRange()?.lowerBound ?? 32_768
    range = ephemeralStart > 12_000 ? 10_000...(ephemeralStart - 1) : 10_000...30_000
    next = Int.random(in: range)
  }

  /// Returns a port that is free now and was not returned before.
  public func freePort() -> UInt16 {
    while true {
      let candidate: Int = lock.withLock {
        defer { next = next == range.upperBound ? range.lowerBound : next + 1 }
        return next
      }
      if candidate != 5000 && Self.isFree(UInt16(candidate)) { return UInt16(candidate) }
    }
  }

  /// Whether `port` can be bound right now on both the IPv4 and the IPv6 wildcard address,
  /// tested without `SO_REUSEADDR` so that lingering connections count as taken.
  static func isFree(_ port: UInt16) -> Bool {
    if TCPTable.current().entries.contains(where: { $0.localPort == port }) { return false }
    var ipv4 = sockaddr_in()
    ipv4.sin_family = sa_family_t(AF_INET)
    ipv4.sin_port = port.bigEndian
    var ipv6 = sockaddr_in6()
    ipv6.sin6_family = sa_family_t(AF_INET6)
    ipv6.sin6_port = port.bigEndian
    let ipv4Free = withUnsafeBytes(of: &ipv4) { canBind(family: AF_INET, address: $0) }
    let ipv6Free = withUnsafeBytes(of: &ipv6) { canBind(family: AF_INET6, address: $0) }
    return ipv4Free && ipv6Free
  }

  private static func canBind(family: Int32, address: UnsafeRawBufferPointer) -> Bool {
    let descriptor = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    // No IPv6 on this machine: then only IPv4 matters.
    guard descriptor >= 0 else { return family == AF_INET6 }
    defer { close(descriptor) }
    let socketAddress = address.baseAddress!.assumingMemoryBound(to: sockaddr.self)
    return bind(descriptor, socketAddress, socklen_t(address.count)) == 0
  }

  private static func ephemeralPortRange() -> ClosedRange<Int>? {
    let text = TCPTable.readWholeFile("/proc/sys/net/ipv4/ip_local_port_range")
    let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    guard numbers.count == 2, numbers[0] <= numbers[1] else { return nil }
    return numbers[0]...numbers[1]
  }
}

/// The kernel's table of TCP sockets (`/proc/net/tcp` and `/proc/net/tcp6`).
///
/// It lets the grader see, without speaking to the server, that a server listens on its
/// port and that a client has connected, whatever either prints. Connecting to find out would
/// itself be a client, and a single-client server would serve it instead of the real one.
public struct TCPTable: Sendable {
  /// One socket.
  public struct Entry: Sendable, Equatable {
    /// The local port.
    public let localPort: UInt16
    /// The remote port (0 for a listening socket).
    public let remotePort: UInt16
    /// The TCP state, as the kernel numbers it (`0A` listen, `01` established).
    public let state: UInt8
  }

  static let listenState: UInt8 = 0x0A
  static let establishedState: UInt8 = 0x01

  /// The sockets, IPv4 and IPv6 together.
  public let entries: [Entry]

  /// Reads the current table; empty where `/proc` is not available.
  public static func current() -> TCPTable {
    let files = ["/proc/net/tcp", "/proc/net/tcp6"]
    let entries = files.flatMap { file in
      readWholeFile(file).split(separator: "\n").dropFirst().compactMap(parse)
    }
    return TCPTable(entries: entries)
  }

  /// Reads a `/proc` file to its end. Foundation's readers trust the size `stat` reports,
  /// which is 0 for these files, and return only the first chunk the kernel produces: about
  /// 4 KiB, some 27 sockets.
  static func readWholeFile(_ path: String) -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return "" }
    defer { close(descriptor) }
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      contents += chunk[..<count]
    }
    return String(decoding: contents, as: UTF8.self)
  }

  /// Whether `/proc/net/tcp` can be read at all; without it the grader falls back to fixed
  /// waits and says so.
  public static let isAvailable = FileManager.default.isReadableFile(atPath: "/proc/net/tcp")

  /// Whether some socket listens on `port`.
  public func isListening(on port: UInt16) -> Bool {
    entries.contains { $0.localPort == port && $0.state == Self.listenState }
  }

  /// The local ports of the clients connected to a server on `port` (accepted by it or still
  /// waiting in its queue).
  func clientConnectionPorts(to port: UInt16) -> Set<UInt16> {
    Set(
      entries.filter { $0.remotePort == port && $0.state == Self.establishedState }
        .map(\.localPort))
  }

  /// Parses one line: `sl local_address rem_address st ...`, addresses as `HEXIP:HEXPORT`.
  static func parse(_ line: Substring) -> Entry? {
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count > 3,
      let local = fields[1].split(separator: ":").last.flatMap({ UInt16($0, radix: 16) }),
      let remote = fields[2].split(separator: ":").last.flatMap({ UInt16($0, radix: 16) }),
      let state = UInt8(fields[3], radix: 16)
    else { return nil }
    return Entry(localPort: local, remotePort: remote, state: state)
  }
}
