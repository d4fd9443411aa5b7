import Foundation
import Task1Echo
import TestSupport
import Testing

/// Reads `count` deliveries on a thread of its own, so that a test can keep publishing while
/// the subscriber keeps up, and records whether they arrived complete and in order.
private final class OrderedReader: @unchecked Sendable {
  private let socket: LineSocket
  private let condition = NSCondition()
  // Guarded by `condition`: how many messages arrived in order, and the first problem.
  private var received = 0
  private var problem: String?

  /// Starts reading `MSG <topic> <sender> m<N> <padding>` lines from `socket`.
  init(_ socket: LineSocket, topic: String, sender: String) {
    self.socket = socket
    let thread = Thread { [self] in read(prefix: "MSG \(topic) \(sender) m") }
    thread.start()
  }

  private func read(prefix: String) {
    while true {
      let line: String?
      do {
        line = try socket.readLine()
      } catch {
        finish(with: "read failed: \(error)")
        return
      }
      guard let line else { return finish(with: "end of stream") }
      condition.lock()
      let expected = "\(prefix)\(received) "
      if line.hasPrefix(expected) {
        received += 1
        condition.broadcast()
        condition.unlock()
      } else {
        condition.unlock()
        return finish(with: "expected '\(expected)...', got '\(line.prefix(60))'")
      }
    }
  }

  private func finish(with problem: String) {
    condition.lock()
    if self.problem == nil { self.problem = problem }
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until `count` messages have arrived in order.
  func waitForMessages(_ count: Int, timeout: Duration = .seconds(10)) throws {
    let deadline = Date(timeIntervalSinceNow: timeout.timeInterval)
    condition.lock()
    defer { condition.unlock() }
    while received < count {
      if let problem {
        throw ReaderFailure(description: "before message \(received) of \(count): \(problem)")
      }
      if !condition.wait(until: deadline) {
        throw ReaderFailure(description: "only \(received) of \(count) messages arrived in time")
      }
    }
  }
}

/// The reader did not get what it expected.
private struct ReaderFailure: Error, CustomStringConvertible {
  let description: String
}

/// Publishes numbered messages of about 1 KiB in rounds of `perRound`, each round only once
/// `reader` has everything before it (so that its queue stays short), until `isDone` or
/// `maximumRounds`. Returns the number of messages published.
private func publishPaced(
  _ publisher: LineSocket, topic: String, to reader: OrderedReader, perRound: Int = 16,
  maximumRounds: Int = 2000, until isDone: () -> Bool
) throws -> Int {
  let padding = String(repeating: "p", count: 1000)
  var sent = 0
  for _ in 0..<maximumRounds where !isDone() {
    let round = (sent..<sent + perRound).map { "PUB \(topic) m\($0) \(padding)\n" }.joined()
    try publisher.send(bytes: Array(round.utf8))
    sent += perRound
    try reader.waitForMessages(sent)
  }
  return sent
}

@Suite("Limits affect only the client that exceeds them", .timeLimit(.minutes(1)))
struct LimitsTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("--max-line-bytes: a longer line closes that client, which is told why")
  func lineLength() throws {
    let server = try TestServer("task3-server", extraArguments: ["--max-line-bytes", "128"])
    let pair = try HonestPair(port: server.port)
    let offender = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=offender")
    try offender.send("PUB honest " + String(repeating: "x", count: 118))  // 129 bytes
    #expect(readUntilEnd(offender) == .closed(lines: ["-ERR line longer than 128 bytes; closing"]))
    let longest = String(repeating: "y", count: 117)  // "PUB honest " + 117 = 128 bytes
    try pair.publisher.send("PUB honest \(longest)")
    #expect(try pair.subscriber.readLine() == "MSG honest honest-pub \(longest)")
    try pair.check(after: "a line past --max-line-bytes")
  }

  @Test("--max-subscriptions: the next SUB is refused with the limit; the client stays")
  func subscriptionCount() throws {
    let server = try TestServer("task3-server", extraArguments: ["--max-subscriptions", "3"])
    let pair = try HonestPair(port: server.port)
    let greedy = try joinedSocket(
      port: server.port, hello: "HELLO SUBSCRIBER name=greedy", subscribe: ["a", "b", "c"])
    try greedy.send("SUB d")
    #expect(try greedy.readLine() == "-ERR subscription limit reached (3 per client)")
    try greedy.send("UNSUB a")
    #expect(try greedy.readLine() == "+OK unsubscribed from a")
    try greedy.send("SUB d")
    #expect(try greedy.readLine() == "+OK subscribed to d")
    // The limit is per client: another subscriber has its own three.
    _ = try joinedSocket(port: server.port, hello: "HELLO SUBSCRIBER", subscribe: ["a", "b", "c"])
    try pair.check(after: "a client reached --max-subscriptions")
  }

  @Test("--max-pending-kib: a subscriber that stops reading is dropped and told; others get all")
  func slowConsumer() throws {
    let server = try TestServer(
      "task3-server", extraArguments: ["--max-pending-kib", "256", "--quiet"])
    let pair = try HonestPair(port: server.port)
    let stalled = try joinedSocket(
      port: server.port, hello: "HELLO SUBSCRIBER name=stalled", subscribe: ["bulk"])
    // From here on `stalled` reads nothing until the server gives up on it.
    let reader = OrderedReader(
      try joinedSocket(port: server.port, hello: "HELLO SUBSCRIBER", subscribe: ["bulk"]),
      topic: "bulk", sender: "bulk-pub")
    let publisher = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=bulk-pub")
    _ = try publishPaced(publisher, topic: "bulk", to: reader) {
      server.program.output.contains("is a slow consumer: disconnecting it")
    }
    // Its socket buffers hold what was sent before the queue overflowed; after that come the
    // reason and the close.
    #expect(
      readUntilEnd(stalled).lines.last
        == "-ERR slow consumer: more than 262144 bytes queued; disconnecting")
    try server.program.waitForOutput(
      containing: "stalled disconnected: slow consumer (more than 262144 bytes queued)")
    try pair.check(after: "a slow consumer was dropped")
  }

  @Test("write deadline: a subscriber whose socket takes no bytes for the deadline is dropped")
  func writeDeadline() throws {
    // `task3-server` has no option for the deadline (5 s); in process it can be 1 s. The
    // queue limit is set high so that only the deadline can drop the client.
    let broker = try InProcessBroker { configuration in
      configuration.outboxLimits = .init(maximumPendingBytes: 256 << 20, writeDeadline: .seconds(1))
    }
    defer { broker.stop() }
    let pair = try HonestPair(port: broker.port)
    let stalled = try joinedSocket(
      port: broker.port, hello: "HELLO SUBSCRIBER name=stalled", subscribe: ["bulk"])
    let reader = OrderedReader(
      try joinedSocket(port: broker.port, hello: "HELLO SUBSCRIBER", subscribe: ["bulk"]),
      topic: "bulk", sender: "bulk-pub")
    let publisher = try joinedSocket(port: broker.port, hello: "HELLO PUBLISHER name=bulk-pub")
    _ = try publishPaced(publisher, topic: "bulk", to: reader) {
      !broker.clientNames.contains("stalled")
    }
    try waitUntil("the stalled subscriber to be dropped") {
      !broker.clientNames.contains("stalled")
    }
    #expect(readUntilEnd(stalled).isClosed)
    try pair.check(after: "a subscriber missed the write deadline")
  }
}
