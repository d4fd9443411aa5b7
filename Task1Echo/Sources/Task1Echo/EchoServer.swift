import Foundation

/// A TCP server that serves one client at a time, showing and echoing every line it sends.
///
/// This is the whole of Task 1's server: accept a connection, read lines until the client
/// leaves, then accept the next. While one client is served, the next one waits in the
/// kernel's listen queue: its `connect` succeeds and its lines are buffered, but nothing
/// reads them until the first client leaves. One thread can wait on only one thing at a
/// time, which is exactly the limitation Task 2's thread per connection removes.
public final class EchoServer: Sendable {
  /// The listening socket.
  public let listener: Listener
  private let log: ActivityLog
  private let maximumLineLength: Int
  /// The connection being served, so that `stop()` can end it. Guarded by `lock`.
  private let current = Guarded<Connection?>(nil)

  /// Creates a server on an already bound listener.
  public init(
    listener: Listener, log: ActivityLog,
    maximumLineLength: Int = LineFramer.defaultMaximumLineLength
  ) {
    self.listener = listener
    self.log = log
    self.maximumLineLength = maximumLineLength
  }

  /// Serves clients one after another until `stop()` is called.
  public func run() {
    while true {
      let connection: Connection
      do {
        connection = try listener.accept()
      } catch SocketError.closed {
        return
      } catch {
        // Out of descriptors (EMFILE) and the like: a server must outlive them. Pause so
        // that a persistent failure does not spin the CPU, then try again.
        Console.standardError.writeLine("accept failed: \(error); retrying")
        Thread.sleep(forTimeInterval: 0.1)
        continue
      }
      current.value = connection
      serve(connection)
      current.value = nil
    }
  }

  /// Stops accepting, ends the current client's connection and makes `run()` return. Safe to
  /// call from any thread.
  public func stop() {
    listener.close()
    current.value?.close()
  }

  /// Reads lines from one client until it leaves, sends `terminate` or breaks the protocol.
  /// Errors end this connection only; the server goes on to the next client.
  private func serve(_ connection: Connection) {
    let peer = connection.peer.description
    log.post("\(peer) connected")
    var framer = LineFramer(maximumLineLength: maximumLineLength)
    let buffer = ReceiveBuffer()
    var echoes: [UInt8] = []
    var reason = "disconnected"
    reading: do {
      while true {
        let chunk = try buffer.receive(from: connection)
        // Echo everything this read produced with one send, not one send per line.
        echoes.removeAll(keepingCapacity: true)
        if chunk.isEmpty {
          if let last = framer.takeRemainder() { try handle(last, from: peer, echoInto: &echoes) }
          try connection.sendAll(echoes)
          break reading
        }
        framer.append(chunk)
        while let line = try framer.nextLine() {
          if try !handle(line, from: peer, echoInto: &echoes) {
            try connection.sendAll(echoes)
            reason = "sent terminate; disconnected"
            break reading
          }
        }
        try connection.sendAll(echoes)
      }
    } catch let error as FramingError {
      try? connection.sendAll("ERROR \(error); closing the connection\n")
      reason = "closed: \(error)"
    } catch {
      reason = "connection lost: \(error)"
    }
    connection.close()
    log.post("\(peer) \(reason)")
  }

  /// Shows one line and queues its echo. Returns `false` if the line asks to terminate.
  @discardableResult
  private func handle(_ line: ArraySlice<UInt8>, from peer: String, echoInto echoes: inout [UInt8])
    throws -> Bool
  {
    let text = String(lineBytes: line)
    log.post("\(peer): \(text.escapingControlCharacters)")
    if isTerminateCommand(text) { return false }
    echoes.append(contentsOf: line)
    echoes.append(0x0A)
    return true
  }
}

/// Whether a typed line is the course's `terminate` command: any letter case, surrounding
/// spaces ignored.
public func isTerminateCommand(_ line: String) -> Bool {
  isTerminateCommand(bytes: line.utf8)
}

/// Whether a received line is `terminate` (any case, surrounding spaces ignored), looking at
/// its bytes only: servers check every line, and building a `String` for each would cost
/// more than the rest of the work on it.
public func isTerminateCommand(bytes line: some Collection<UInt8>) -> Bool {
  // Quick rejection first: nearly every line is far longer or shorter than the word.
  guard line.count >= 9 && line.count <= 64 else { return false }
  let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
  let bytes = Array(line)
  guard let first = bytes.firstIndex(where: { !isSpace($0) }),
    let last = bytes.lastIndex(where: { !isSpace($0) }), last - first == 8
  else { return false }
  return zip(bytes[first...last], "TERMINATE".utf8).allSatisfy { $0 & 0xDF == $1 }
}

/// A value shared between threads, behind a lock.
///
/// The lock guards `value` and nothing else; every read and write takes it, and no I/O
/// happens while it is held (callers copy the value out, then act on the copy).
public final class Guarded<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: Value

  /// Creates the box with an initial value.
  public init(_ value: Value) {
    storage = value
  }

  /// The current value (a copy, taken under the lock).
  public var value: Value {
    get { lock.withLock { storage } }
    set { lock.withLock { storage = newValue } }
  }

  /// Runs `body` with exclusive access to the value; keep it short and free of I/O.
  public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
    try lock.withLock { try body(&storage) }
  }
}
