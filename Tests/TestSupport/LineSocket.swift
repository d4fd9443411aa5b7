import Task1Echo

/// A raw TCP client for tests: speaks lines to a server directly, as `nc` would, with a
/// receive timeout on every read.
public final class LineSocket: @unchecked Sendable {
  /// The connection.
  public let connection: Connection
  private var framer = LineFramer(maximumLineLength: 1 << 22)

  /// Connects to `host`:`port`; every receive gives up after `timeout`.
  public init(host: String = "127.0.0.1", port: UInt16, timeout: Duration = .seconds(10)) throws {
    connection = try Connection.connect(host: host, port: port)
    try connection.socket.setReceiveTimeout(timeout)
  }

  /// Wraps an open connection (its receive timeout is the caller's to set).
  public init(wrapping connection: Connection) {
    self.connection = connection
  }

  /// Sends `line` and a newline.
  public func send(_ line: String) throws {
    try connection.sendAll(line + "\n")
  }

  /// Sends raw bytes.
  public func send(bytes: [UInt8]) throws {
    try connection.sendAll(bytes)
  }

  /// Receives the next line; `nil` at end of stream. Throws `SocketError.timedOut` if nothing
  /// arrives in time.
  public func readLine() throws -> String? {
    while true {
      if let line = try framer.nextLine() { return String(lineBytes: line) }
      guard let bytes = try connection.receive() else {
        return framer.takeRemainder().map { String(lineBytes: $0) }
      }
      framer.append(contentsOf: bytes)
    }
  }

  /// Reads lines until one contains `text`, returning it.
  @discardableResult
  public func readLine(containing text: String) throws -> String {
    var seen: [String] = []
    while let line = try readLine() {
      if line.contains(text) { return line }
      seen.append(line)
    }
    throw WaitTimedOut(
      expectation: "'\(text)' before end of stream", seen: seen.joined(separator: "\n"))
  }

  /// Reads until end of stream (the server closed), returning the lines received.
  public func readToEnd() throws -> [String] {
    var lines: [String] = []
    while let line = try readLine() { lines.append(line) }
    return lines
  }
}
