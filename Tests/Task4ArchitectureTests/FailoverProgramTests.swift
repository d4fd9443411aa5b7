import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Two `task4-broker`s on free ports: the first started as primary (it learns the backup's
/// address when the backup joins), the second as its backup.
private final class BrokerPair: Sendable {
  let primary: TestServer
  let backup: TestServer

  init(extraArguments: [String] = []) throws {
    primary = try TestServer(
      "task4-broker", extraArguments: ["--start-as", "primary", "--quiet"] + extraArguments)
    backup = try TestServer(
      "task4-broker",
      extraArguments: ["--peer", "127.0.0.1:\(primary.port)", "--quiet"] + extraArguments)
    try backup.program.waitForOutput(containing: "BACKUP of")
  }

  /// The address list clients are given.
  var addresses: String { "127.0.0.1:\(primary.port),127.0.0.1:\(backup.port)" }
}

/// Starts a `task4-client` and waits until a broker has accepted it.
private func startClient(_ arguments: [String]) throws -> RunningProgram {
  let client = try RunningProgram("task4-client", arguments)
  try client.waitForOutput(containing: "joined ")
  return client
}

/// Says `hello` to the broker on `port` until it serves the client: a backup refuses with
/// `-ERR not primary` until it has seen its primary go.
private func helloUntilServed(port: UInt16, _ hello: String) throws -> (LineSocket, String) {
  let deadline = ContinuousClock.now + .seconds(10)
  var seen: [String] = []
  while ContinuousClock.now < deadline {
    let socket = try LineSocket(port: port, timeout: .seconds(5))
    try socket.send(hello)
    let reply = try socket.readLine() ?? "(closed)"
    if reply.hasPrefix("+OK HELLO") { return (socket, reply) }
    seen.append(reply)
    usleep(20_000)  // a retry interval, as the real client's
  }
  throw NeverServed(hello: hello, replies: seen)
}

/// No broker served a hello before the deadline.
private struct NeverServed: Error, CustomStringConvertible {
  let hello: String
  let replies: [String]

  var description: String {
    "no broker served '\(hello)' in time; replies:\n\(replies.joined(separator: "\n"))"
  }
}

/// Publishes `texts` with sequence numbers from `firstSequence` and waits for the last `+ACK`.
private func publishAcknowledged(
  _ texts: [String], on socket: LineSocket, firstSequence: UInt64 = 1, topic: String = "news"
) throws {
  for (offset, text) in texts.enumerated() {
    try socket.send("PUBSEQ \(firstSequence + UInt64(offset)) \(topic) \(text)")
  }
  try socket.readLine(containing: "+ACK \(firstSequence + UInt64(texts.count) - 1)")
}

/// The numbers `n` of the lines `sender: m<n>` a client showed, in order.
private func deliveredNumbers(in output: String, from sender: String) -> [Int] {
  let marker = "] \(sender): m"
  return output.split(separator: "\n").compactMap { line in
    guard let range = line.range(of: marker) else { return nil }
    return Int(line[range.upperBound...])
  }
}

@Suite("Task 4 failover, end to end", .serialized, .timeLimit(.minutes(1)))
struct FailoverProgramTests {
  init() { ignoreBrokenPipeSignal() }

  @Test(
    "10,000 messages, the primary killed halfway: every subscriber gets each exactly once, in order"
  )
  func killPrimaryMidStream() throws {
    let pair = try BrokerPair()
    let subscribers = [
      try startClient([pair.addresses, "SUBSCRIBER", "bench"]),
      try startClient([pair.addresses, "SUBSCRIBER", "bench", "--name", "durable-reader"]),
    ]
    let publisher = try startClient([pair.addresses, "PUBLISHER", "bench", "--name", "alice"])
    let input = Array((1...10_000).map { "m\($0)\n" }.joined().utf8)
    let feeder = Thread {
      publisher.write(input)  // blocks while the publisher's window is full
      publisher.closeInput()
    }
    feeder.start()
    try waitUntil("a subscriber to show m5000", timeout: .seconds(30)) {
      subscribers[0].output.contains(" alice: m5000\n")
    }
    pair.primary.program.send(signal: SIGKILL)

    // The publisher exits 0 only once every message was acknowledged.
    #expect(try publisher.waitForExit(timeout: .seconds(40)) == 0)
    for subscriber in subscribers {
      try waitUntil("every message at the subscriber", timeout: .seconds(20)) {
        subscriber.output.contains(" alice: m10000\n")
      }
      let numbers = deliveredNumbers(in: subscriber.output, from: "alice")
      #expect(numbers.count == 10_000)
      #expect(numbers == Array(1...10_000))
      #expect(subscriber.output.contains("lost 127.0.0.1:\(pair.primary.port)"))
      #expect(subscriber.output.contains("joined 127.0.0.1:\(pair.backup.port)"))
    }
    let takeover = try pair.backup.program.waitForOutput(containing: "PRIMARY in epoch 2")
    #expect(takeover.contains("a client asked"))
    #expect(pair.backup.program.output.contains("primary lost"))
    #expect(publisher.output.contains("joined 127.0.0.1:\(pair.backup.port) as alice (epoch 2)"))
  }

  @Test("a restarted old primary rejoins as backup, refuses clients, and holds what is published")
  func restartedPrimaryIsBackup() throws {
    let pair = try BrokerPair()
    let (first, welcome) = try helloUntilServed(
      port: pair.primary.port, "HELLO PUBLISHER name=p1 producer=p1-1")
    #expect(welcome == "+OK HELLO p1 epoch=1")
    try publishAcknowledged(["one", "two", "three"], on: first)
    // Enough history that the rejoining node's snapshot takes real work to copy.
    let (bulk, _) = try helloUntilServed(
      port: pair.primary.port, "HELLO PUBLISHER name=bulk producer=bulk-1")
    try publishAcknowledged((1...5_000).map { "b\($0)" }, on: bulk, topic: "bulk")
    pair.primary.program.send(signal: SIGKILL)

    // The backup takes over on the first client hello after it has seen the primary go.
    let (second, takeover) = try helloUntilServed(
      port: pair.backup.port, "HELLO PUBLISHER name=p1 producer=p1-1")
    #expect(takeover == "+OK HELLO p1 epoch=2")
    try second.send("PUBSEQ 3 news three")  // re-sent: the new primary already holds it
    try publishAcknowledged(["four"], on: second, firstSequence: 4)

    let restarted = try TestServer(
      "task4-broker",
      extraArguments: [
        "--peer", "127.0.0.1:\(pair.backup.port)", "--start-as", "primary", "--quiet",
      ])
    let joined = try restarted.program.waitForOutput(containing: "BACKUP of")
    #expect(joined.contains("in epoch 2: copied a snapshot of 5004 messages"))
    #expect(!restarted.program.output.contains("PRIMARY in"))
    let refused = try LineSocket(port: restarted.port)
    try refused.send("HELLO PUBLISHER name=p2 producer=p2-1")
    #expect(try refused.readLine()?.hasPrefix("-ERR not primary") == true)
    #expect(try refused.readLine() == nil)  // and it closes the connection

    // Acknowledged now means both hold it; the restarted node must have everything.
    try publishAcknowledged(["five"], on: second, firstSequence: 5)
    #expect(!restarted.program.output.contains("primary lost"))  // the link held steady
    pair.backup.program.send(signal: SIGKILL)
    let (reader, resumed) = try helloUntilServed(
      port: restarted.port, "HELLO SUBSCRIBER topics=news after=0")
    #expect(resumed.hasSuffix("epoch=3 after=0 expired=0"))
    var texts: [String] = []
    for _ in 1...5 {
      guard let line = try reader.readLine() else { break }
      if line.hasPrefix("MSG ") { texts.append(String(line.split(separator: " ")[4])) }
    }
    #expect(texts == ["one", "two", "three", "four", "five"])
  }

  @Test("a durable subscriber gets what it missed while away, across a failover")
  func durableCatchUp() throws {
    let pair = try BrokerPair()
    let away = try startClient([pair.addresses, "SUBSCRIBER", "news", "--name", "s1"])
    let (publisher, _) = try helloUntilServed(
      port: pair.primary.port, "HELLO PUBLISHER name=p producer=p-1")
    try publishAcknowledged(["m1"], on: publisher)
    try away.waitForOutput(containing: "p: m1")
    away.type("terminate")  // reports its position, then leaves
    #expect(try away.waitForExit() == 0)
    try pair.primary.program.waitForOutput(containing: "s1 sent terminate; left")

    try publishAcknowledged(["m2", "m3"], on: publisher, firstSequence: 2)
    pair.primary.program.send(signal: SIGKILL)
    let (takeover, _) = try helloUntilServed(
      port: pair.backup.port, "HELLO PUBLISHER name=p producer=p-1")
    try publishAcknowledged(["m4"], on: takeover, firstSequence: 4)

    let back = try startClient([pair.addresses, "SUBSCRIBER", "news", "--name", "s1"])
    try back.waitForOutput(containing: "p: m4")
    #expect(back.output.contains("resuming after message 1"))
    #expect(deliveredNumbers(in: back.output, from: "p") == [2, 3, 4])
  }

  @Test("retention is bounded: a returning subscriber is told how many messages expired")
  func retentionLimit() throws {
    let broker = try TestServer(
      "task4-broker", extraArguments: ["--start-as", "primary", "--quiet", "--retain", "3"])
    try broker.program.waitForOutput(containing: "PRIMARY in epoch 1")
    let (first, welcome) = try helloUntilServed(
      port: broker.port, "HELLO SUBSCRIBER name=s1 topics=news durable=yes")
    #expect(welcome == "+OK HELLO s1 epoch=1 after=0 expired=0")
    try first.send("QUIT")
    try first.readLine(containing: "+OK bye")
    let (publisher, _) = try helloUntilServed(
      port: broker.port, "HELLO PUBLISHER name=p producer=p-1")
    try publishAcknowledged(["m1", "m2", "m3", "m4", "m5"], on: publisher)
    let (returning, resumed) = try helloUntilServed(
      port: broker.port, "HELLO SUBSCRIBER name=s1 topics=news durable=yes")
    #expect(resumed == "+OK HELLO s1 epoch=1 after=0 expired=2")
    let lines = try (1...3).map { _ in try returning.readLine() ?? "" }
    #expect(lines == ["MSG 3 news p m3", "MSG 4 news p m4", "MSG 5 news p m5"])
  }

  @Test("when the backup dies the primary says so and carries on acknowledging alone")
  func backupDies() throws {
    let pair = try BrokerPair()
    let (publisher, _) = try helloUntilServed(
      port: pair.primary.port, "HELLO PUBLISHER name=p producer=p-1")
    try publishAcknowledged(["m1"], on: publisher)
    pair.backup.program.send(signal: SIGKILL)
    try pair.primary.program.waitForOutput(containing: "backup lost: carrying on alone")
    try publishAcknowledged(["m2"], on: publisher, firstSequence: 2)
  }

  @Test("a frozen primary is presumed dead after its silence, and steps down when it wakes")
  func frozenPrimaryIsFenced() throws {
    let pair = try BrokerPair()
    let (publisher, _) = try helloUntilServed(
      port: pair.primary.port, "HELLO PUBLISHER name=p producer=p-1")
    try publishAcknowledged(["m1"], on: publisher)
    pair.primary.program.send(signal: SIGSTOP)
    defer { pair.primary.program.send(signal: SIGCONT) }
    let lost = try pair.backup.program.waitForOutput(containing: "primary lost")
    #expect(lost.contains("silent for"))
    // Sent to the frozen primary: it can never be acknowledged there.
    try publisher.send("PUBSEQ 2 news m2")
    let (takeover, welcome) = try helloUntilServed(
      port: pair.backup.port, "HELLO PUBLISHER name=p producer=p-1")
    #expect(welcome == "+OK HELLO p epoch=2")
    pair.primary.program.send(signal: SIGCONT)
    try pair.primary.program.waitForOutput(containing: "stepping down to BACKUP")
    let refusal = try publisher.readLine(containing: "-ERR not primary")
    #expect(refusal.hasPrefix("-ERR not primary"))
    try pair.primary.program.waitForOutput(containing: "BACKUP of")
    // The client re-sends what was never acknowledged to the one primary there is.
    try publishAcknowledged(["m2"], on: takeover, firstSequence: 2)
    let stale = try LineSocket(port: pair.primary.port)
    try stale.send("HELLO PUBLISHER name=q producer=q-1")
    #expect(try stale.readLine()?.hasPrefix("-ERR not primary") == true)
  }

  @Test("plain Task 3 clients still work: PUB without a sequence, SUB, MSG without an index")
  func task3Compatibility() throws {
    let broker = try TestServer("task4-broker", extraArguments: ["--start-as", "primary"])
    try broker.program.waitForOutput(containing: "PRIMARY in epoch 1")
    let (subscriber, _) = try helloUntilServed(port: broker.port, "HELLO SUBSCRIBER name=old")
    try subscriber.send("SUB news")
    try subscriber.readLine(containing: "+OK subscribed to news")
    let (publisher, welcome) = try helloUntilServed(port: broker.port, "HELLO PUBLISHER name=nc")
    #expect(welcome == "+OK HELLO nc epoch=1")
    try publisher.send("PUB news hello from nc")
    #expect(try subscriber.readLine(containing: "MSG") == "MSG news nc hello from nc")
    try broker.program.waitForOutput(containing: "nc -> news: hello from nc")
  }
}
