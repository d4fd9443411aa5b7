import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// An honest publisher and subscriber on topic `honest`, kept connected while a test throws
/// bad input at the same server; `check` proves the server still serves them.
final class HonestPair {
  let publisher: LineSocket
  let subscriber: LineSocket
  private var checks = 0

  /// Joins as `honest-pub` and `honest-sub` (subscribed to `honest`).
  init(port: UInt16) throws {
    subscriber = try joinedSocket(
      port: port, hello: "HELLO SUBSCRIBER name=honest-sub", subscribe: ["honest"])
    publisher = try joinedSocket(port: port, hello: "HELLO PUBLISHER name=honest-pub")
  }

  /// Publishes a numbered message and waits for it, and for nothing else, to arrive.
  ///
  /// - Throws: `HonestPairFailure` if anything but the expected delivery (or a keepalive
  ///   `PING`, answered) arrives: something another client did leaked to this one.
  func check(after situation: String) throws {
    checks += 1
    let text = "honest message \(checks)"
    try publisher.send("PUB honest \(text)")
    while true {
      guard let line = try subscriber.readLine() else {
        throw HonestPairFailure(situation: situation, line: "end of stream")
      }
      if line == "PING" {
        try subscriber.send("PONG")
        continue
      }
      guard line == "MSG honest honest-pub \(text)" else {
        throw HonestPairFailure(situation: situation, line: line)
      }
      return
    }
  }
}

/// The honest pair saw something other than its own message.
struct HonestPairFailure: Error, CustomStringConvertible {
  let situation: String
  let line: String

  var description: String {
    "after \(situation), the honest subscriber got '\(line.escapingControlCharacters)'"
  }
}

/// Connects, sends `hello`, waits for `+OK HELLO`, then subscribes to each filter.
func joinedSocket(
  port: UInt16, hello: String, subscribe filters: [String] = [], timeout: Duration = .seconds(10)
) throws -> LineSocket {
  let socket = try LineSocket(port: port, timeout: timeout)
  try socket.send(hello)
  try socket.readLine(containing: "+OK HELLO")
  for filter in filters {
    try socket.send("SUB \(filter)")
    try socket.readLine(containing: "+OK subscribed to \(filter)")
  }
  return socket
}

/// How a connection ended, as the client saw it.
enum Ending: Equatable, CustomStringConvertible {
  /// The server sent these lines, then closed (or reset) the connection.
  case closed(lines: [String])
  /// The connection is still open: nothing more arrived within the read timeout.
  case open(lines: [String])

  /// Whether the server closed the connection.
  var isClosed: Bool {
    if case .closed = self { true } else { false }
  }

  var lines: [String] {
    switch self {
    case .closed(let lines), .open(let lines): lines
    }
  }

  var description: String {
    switch self {
    case .closed(let lines): "closed after \(lines)"
    case .open(let lines): "still open after \(lines)"
    }
  }
}

/// Reads until the server closes the connection (a FIN or a reset both count: a server that
/// closes with unread input pending resets it) or nothing arrives for the socket's timeout.
func readUntilEnd(_ socket: LineSocket) -> Ending {
  var lines: [String] = []
  while true {
    do {
      guard let line = try socket.readLine() else { return .closed(lines: lines) }
      lines.append(line)
    } catch SocketError.timedOut {
      return .open(lines: lines)
    } catch {
      return .closed(lines: lines)
    }
  }
}

extension LineSocket {
  /// Sends `bytes`, ignoring a failure because the server has already closed the
  /// connection: a server may refuse input half-way through a large send.
  func sendIgnoringClosure(_ bytes: [UInt8]) {
    do {
      try send(bytes: bytes)
    } catch {
      // The reply (or the close) says what happened; the caller reads it next.
    }
  }

  /// The local port of this connection, as it appears in the server's display.
  var localPort: UInt16 {
    (try? connection.socket.localAddress().port) ?? 0
  }

  /// Arranges for the connection to end with a reset (RST) instead of a FIN when the socket
  /// is closed, as when a client machine vanishes or a process is killed mid-send.
  func resetOnClose() {
    var option = linger(l_onoff: 1, l_linger: 0)
    _ = setsockopt(
      connection.socket.descriptor, SOL_SOCKET, SO_LINGER, &option,
      socklen_t(MemoryLayout<linger>.size))
  }

  /// Shrinks the receive buffer so that a client that stops reading backs up the server's
  /// queue for it quickly. Call before any data arrives.
  func shrinkReceiveBuffer() {
    var size: Int32 = 4096
    _ = setsockopt(
      connection.socket.descriptor, SOL_SOCKET, SO_RCVBUF, &size,
      socklen_t(MemoryLayout<Int32>.size))
  }
}

/// Whether a connection attempt to `port` on loopback is refused now.
func isRefused(port: UInt16) -> Bool {
  do {
    _ = try Connection.connect(host: "127.0.0.1", port: port)
    return false
  } catch {
    return true
  }
}
