import Task1Echo

/// Reads lines from a connection: a `LineFramer` and a receive buffer, kept together so that
/// a connection can be handed from one reader to the next (the hello's reader to a session,
/// or to a thread) without losing bytes that already arrived.
struct LineReader: Sendable {
  /// The connection read from.
  let connection: Connection
  private var framer: LineFramer
  private var buffer = [UInt8](repeating: 0, count: 65_536)

  init(connection: Connection, maximumLineLength: Int) {
    self.connection = connection
    framer = LineFramer(maximumLineLength: maximumLineLength)
  }

  /// Receives whatever has arrived, waiting for at least one byte.
  ///
  /// - Returns: `false` at end of stream.
  /// - Throws: `SocketError.timedOut` when the receive timeout expires, another
  ///   `SocketError` when the connection failed.
  mutating func receive() throws -> Bool {
    let count = try buffer.withUnsafeMutableBytes { try connection.receive(into: $0) }
    if count == 0 { return false }
    buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    return true
  }

  /// The next complete line already received, if any.
  mutating func nextLine() throws(FramingError) -> ArraySlice<UInt8>? {
    try framer.nextLine()
  }

  /// Receives until a whole line has arrived and returns it as text; `nil` at end of stream.
  mutating func readLine() throws -> String? {
    while true {
      if let line = try framer.nextLine() { return String(lineBytes: line) }
      guard try receive() else { return nil }
    }
  }

  /// Receives until a whole line has arrived, but only until `deadline`: a peer sending one
  /// byte at a time cannot stretch a per-receive timeout forever.
  ///
  /// - Throws: `SocketError.timedOut` at the deadline.
  mutating func readLine(before deadline: ContinuousClock.Instant) throws -> String? {
    while true {
      if let line = try framer.nextLine() { return String(lineBytes: line) }
      let remaining = deadline - .now
      guard remaining > .zero else { throw SocketError.timedOut }
      try connection.socket.setReceiveTimeout(remaining)
      guard try receive() else { return nil }
    }
  }
}
