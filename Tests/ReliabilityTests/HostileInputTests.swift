import Foundation
import Task1Echo
import TestSupport
import Testing

/// The server under attack, the honest pair on it, and the ways a test expects bad input to
/// be answered.
private struct Arena {
  let server: TestServer
  let pair: HonestPair

  var port: UInt16 { server.port }

  /// A connection that has not said hello.
  func connect() throws -> LineSocket {
    try LineSocket(port: port, timeout: .seconds(5))
  }

  /// A connection joined as a publisher called `name`.
  func publisher(_ name: String) throws -> LineSocket {
    try joinedSocket(port: port, hello: "HELLO PUBLISHER name=\(name)", timeout: .seconds(5))
  }

  /// A connection joined as a subscriber called `name`.
  func subscriber(_ name: String) throws -> LineSocket {
    try joinedSocket(port: port, hello: "HELLO SUBSCRIBER name=\(name)", timeout: .seconds(5))
  }

  /// Sends `bytes` and expects an `-ERR` reply mentioning `reason`, with every control
  /// character in it escaped; the connection must stay open and served.
  func expectError(
    _ socket: LineSocket, after bytes: [UInt8], _ reason: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try socket.send(bytes: bytes)
    let reply = try socket.readLine() ?? "end of stream"
    #expect(
      reply.hasPrefix("-ERR ") && reply.contains(reason),
      "reply '\(reply.escapingControlCharacters)'", sourceLocation: sourceLocation)
    #expect(
      reply.escapingControlCharacters == reply, "a control character came back raw",
      sourceLocation: sourceLocation)
    try expectStillServed(socket, sourceLocation: sourceLocation)
  }

  /// Sends `line` and a newline, expecting an error as `expectError(_:after:_:)` does.
  func expectError(
    _ socket: LineSocket, after line: String, _ reason: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try expectError(
      socket, after: Array((line + "\n").utf8), reason, sourceLocation: sourceLocation)
  }

  /// The connection still works: a `PING` is answered.
  func expectStillServed(
    _ socket: LineSocket, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try socket.send("PING")
    #expect(try socket.readLine() == "PONG", sourceLocation: sourceLocation)
  }

  /// Sends `bytes` and expects the server to say `reason` in a last `-ERR` line, with every
  /// control character escaped, and close.
  func expectClosed(
    _ socket: LineSocket, after bytes: [UInt8], _ reason: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    socket.sendIgnoringClosure(bytes)
    let ending = readUntilEnd(socket)
    #expect(
      ending.lines.allSatisfy { $0.escapingControlCharacters == $0 },
      "a control character came back raw", sourceLocation: sourceLocation)
    #expect(
      ending.isClosed
        && ending.lines.last.map { $0.hasPrefix("-ERR ") && $0.contains(reason) } == true,
      "\(ending)", sourceLocation: sourceLocation)
  }

  /// Sends `line` and a newline, expecting a close as `expectClosed(_:after:_:)` does.
  func expectClosed(
    _ socket: LineSocket, after line: String, _ reason: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    expectClosed(socket, after: Array((line + "\n").utf8), reason, sourceLocation: sourceLocation)
  }
}

/// One kind of bad input and how the server must answer it.
private struct Mischief: Sendable, CustomStringConvertible {
  let description: String
  let perform: @Sendable (Arena) throws -> Void

  init(_ description: String, _ perform: @escaping @Sendable (Arena) throws -> Void) {
    self.description = description
    self.perform = perform
  }
}

/// Bytes that are not valid UTF-8: a truncated sequence, a stray continuation byte and
/// bytes that never occur in UTF-8.
private let invalidUTF8: [UInt8] = [0xC3, 0x28, 0x80, 0xFE, 0xFF]

/// Pseudo-random bytes without a newline, the same on every run.
private func garbage(count: Int) -> [UInt8] {
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let byte = UInt8(truncatingIfNeeded: state >> 56)
    return byte == 0x0A ? 0x0B : byte
  }
}

private let maximumSubscriptions = 100

private let mischiefs: [Mischief] = [
  Mischief("an over-long line (5,000 bytes) after the hello") { arena in
    let socket = try arena.publisher("long-line")
    arena.expectClosed(
      socket, after: String(repeating: "z", count: 5000), "line longer than 4096 bytes")
  },
  Mischief("an over-long line instead of a hello") { arena in
    arena.expectClosed(
      try arena.connect(), after: "HELLO " + String(repeating: "P", count: 5000),
      "line longer than 4096 bytes")
  },
  Mischief("4 MiB of garbage without a newline") { arena in
    let socket = try arena.connect()
    socket.sendIgnoringClosure(garbage(count: 4 << 20))
    // The server stops reading after 4,097 bytes and closes; with the rest unread, the
    // kernel may reset the connection, losing the error line. The display says why.
    let ending = readUntilEnd(socket)
    #expect(ending.isClosed, "\(ending)")
    #expect(ending.lines.allSatisfy { $0.contains("line longer than 4096 bytes") })
    try arena.server.program.waitForOutput(
      containing: ":\(socket.localPort) line longer than 4096 bytes")
  },
  Mischief("invalid UTF-8 as a command") { arena in
    try arena.expectError(
      try arena.publisher("bad-utf8"), after: invalidUTF8 + [0x0A], "unknown command")
  },
  Mischief("invalid UTF-8 in the hello") { arena in
    arena.expectClosed(
      try arena.connect(), after: Array("HELLO ".utf8) + invalidUTF8 + [0x0A], "expected HELLO")
  },
  Mischief("NUL bytes as a command") { arena in
    try arena.expectError(
      try arena.publisher("nul-command"), after: [0, 0, 0, 0x0A], "unknown command '\\u{0}")
  },
  Mischief("a NUL byte in a topic") { arena in
    try arena.expectError(
      try arena.publisher("nul-topic"), after: Array("PUB hon\0est x\n".utf8),
      "control character")
  },
  Mischief("lone CRs inside a line") { arena in
    try arena.expectError(
      try arena.publisher("lone-cr"), after: Array("PING\rPING\r\r\n".utf8),
      "unknown command 'PING\\u{D}PING\\u{D}'")
  },
  Mischief("a half line left hanging, then the connection closed") { arena in
    // Were the unfinished line treated as a command, the honest subscriber would get it.
    let socket = try arena.publisher("half-line")
    try socket.send(bytes: Array("PUB honest this half line must not be delivered".utf8))
    socket.connection.finishSending()
    #expect(readUntilEnd(socket) == .closed(lines: []))
  },
  Mischief("a half line, then a reset (SO_LINGER 0)") { arena in
    let socket = try arena.publisher("reset")
    try socket.send(bytes: Array("PUB honest reset before the newline".utf8))
    socket.resetOnClose()  // and the socket closes when this closure returns
  },
  Mischief("one byte per second (3 bytes), with the honest pair checked between bytes") {
    arena in
    let socket = try arena.publisher("dribble")
    for byte in "PIN".utf8 {
      try socket.send(bytes: [byte])
      try arena.pair.check(after: "a dribbled byte")
      Thread.sleep(forTimeInterval: 1)  // the input's pace, not synchronisation
    }
    try socket.send(bytes: Array("G\n".utf8))
    #expect(try socket.readLine() == "PONG")
  },
  Mischief("an unknown command") { arena in
    try arena.expectError(try arena.publisher("unknown"), after: "FROB x", "unknown command 'FROB'")
  },
  Mischief("an empty line") { arena in
    try arena.expectError(try arena.publisher("empty"), after: "", "empty line")
  },
  Mischief("a second hello after joining") { arena in
    try arena.expectError(
      try arena.publisher("twice"), after: "HELLO PUBLISHER", "unknown command 'HELLO'")
  },
  Mischief("PUB with no text") { arena in
    try arena.expectError(try arena.publisher("no-text"), after: "PUB honest", "usage: PUB")
  },
  Mischief("SUB with no topic") { arena in
    try arena.expectError(try arena.subscriber("no-topic"), after: "SUB", "usage: SUB")
  },
  Mischief("DM with no text") { arena in
    try arena.expectError(try arena.publisher("no-dm-text"), after: "DM honest-sub", "usage: DM")
  },
  Mischief("SUB with an extra argument") { arena in
    try arena.expectError(try arena.subscriber("extra"), after: "SUB a b", "usage: SUB")
  },
  Mischief("STATS with an argument") { arena in
    try arena.expectError(
      try arena.publisher("stats-argument"), after: "STATS now", "STATS takes no arguments")
  },
  Mischief("a huge topic name (4,000 bytes)") { arena in
    try arena.expectError(
      try arena.publisher("huge-topic"), after: "PUB \(String(repeating: "t", count: 4000)) x",
      "longer than 256 bytes")
  },
  Mischief("a huge filter (4,000 bytes)") { arena in
    try arena.expectError(
      try arena.subscriber("huge-filter"), after: "SUB \(String(repeating: "t.", count: 2000))",
      "longer than 256 bytes")
  },
  Mischief("a wildcard in a published topic") { arena in
    try arena.expectError(
      try arena.publisher("wild"), after: "PUB honest.* x", "wildcards go in subscriptions only")
  },
  Mischief("a subscriber publishing") { arena in
    try arena.expectError(
      try arena.subscriber("sub-pub"), after: "PUB honest sneaky", "subscribers cannot publish")
  },
  Mischief("a publisher subscribing") { arena in
    try arena.expectError(
      try arena.publisher("pub-sub"), after: "SUB honest", "publishers cannot subscribe")
  },
  Mischief("a command before the hello") { arena in
    arena.expectClosed(try arena.connect(), after: "PUB honest sneaky", "expected HELLO")
  },
  Mischief("a hello taking the honest publisher's name") { arena in
    arena.expectClosed(
      try arena.connect(), after: "HELLO PUBLISHER name=honest-pub", "already taken")
  },
  Mischief("a hello with an invalid name") { arena in
    arena.expectClosed(try arena.connect(), after: "HELLO PUBLISHER name=bad!name", "invalid name")
  },
  Mischief("an escape sequence in the hello") { arena in
    arena.expectClosed(
      try arena.connect(), after: "HELLO PUBLISHER name=\u{1B}[2J", "invalid name '\\u{1B}[2J'")
  },
  Mischief("a topic name that is not UTF-8") { arena in
    try arena.expectError(
      try arena.publisher("not-utf8"),
      after: Array("PUB honest".utf8) + [0xFF] + Array(" x\n".utf8),
      "not valid UTF-8")
  },
  Mischief("a hello with an unknown role") { arena in
    arena.expectClosed(try arena.connect(), after: "HELLO ADMIN", "expected HELLO")
  },
  Mischief("3,000 subscriptions from one client (past --max-subscriptions)") { arena in
    let socket = try arena.subscriber("greedy")
    let count = 3000
    try socket.send(bytes: Array((0..<count).map { "SUB greedy.\($0)\n" }.joined().utf8))
    var accepted = 0
    var refused = 0
    for _ in 0..<count {
      let reply = try socket.readLine() ?? ""
      if reply.hasPrefix("+OK subscribed to greedy.") {
        accepted += 1
      } else if reply == "-ERR subscription limit reached (\(maximumSubscriptions) per client)" {
        refused += 1
      } else {
        Issue.record("unexpected reply '\(reply)'")
        return
      }
    }
    #expect(accepted == maximumSubscriptions && refused == count - maximumSubscriptions)
    try arena.expectStillServed(socket)
  },
]

@Suite("Hostile input to task3-server", .timeLimit(.minutes(2)))
struct HostileInputTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("each kind of bad input gets a clear error or a clean close; an honest pair never notices")
  func badInput() throws {
    // A ping interval longer than the test: keepalive has a test of its own.
    let server = try TestServer(
      "task3-server",
      extraArguments: [
        "--max-subscriptions", "\(maximumSubscriptions)", "--ping-interval", "600",
      ])
    let arena = Arena(server: server, pair: try HonestPair(port: server.port))
    try arena.pair.check(after: "joining")
    for mischief in mischiefs {
      do {
        try mischief.perform(arena)
      } catch {
        Issue.record("\(mischief): \(error)")
      }
      try arena.pair.check(after: mischief.description)
    }
    #expect(server.program.isRunning)
  }

  @Test("a flood of connections past --max-clients: the extra ones are told and closed")
  func connectionFlood() throws {
    let limit = 10
    let server = try TestServer("task3-server", extraArguments: ["--max-clients", "\(limit)"])
    let pair = try HonestPair(port: server.port)
    // Connections are admitted in the order accepted, so the first `limit - 2` (the pair
    // holds two places) are served and every later one is refused.
    var flood: [LineSocket] = []
    var outcomes: [String] = []
    for number in 0..<(limit * 2) {
      let socket = try LineSocket(port: server.port, timeout: .seconds(5))
      socket.sendIgnoringClosure(Array("HELLO SUBSCRIBER name=flood-\(number)\n".utf8))
      let reply = readUntilEnd(socket, stoppingAt: "+OK HELLO")
      outcomes.append(reply)
      flood.append(socket)
    }
    let admitted = Array(repeating: "+OK HELLO", count: limit - 2)
    let refused = Array(
      repeating: "-ERR too many clients (limit \(limit))", count: limit * 2 - (limit - 2))
    #expect(outcomes == admitted + refused)
    try pair.check(after: "a flood of connections")
    // When the flood goes, places free up again.
    flood.removeAll()
    try waitUntil("a new client to be admitted") {
      let socket = try LineSocket(port: server.port, timeout: .seconds(5))
      socket.sendIgnoringClosure(Array("HELLO SUBSCRIBER\n".utf8))
      return readUntilEnd(socket, stoppingAt: "+OK HELLO") == "+OK HELLO"
    }
    try pair.check(after: "the flood left")
  }
}

/// Reads the first line and, unless it starts with `prefix`, on to the close: `prefix` if
/// the connection was admitted, else the refusal line (or "closed" if there was none).
private func readUntilEnd(_ socket: LineSocket, stoppingAt prefix: String) -> String {
  guard let first = try? socket.readLine() else { return "closed" }
  if first.hasPrefix(prefix) { return prefix }
  guard case .closed = readUntilEnd(socket) else { return "\(first), not closed" }
  return first
}
