import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A message body of about 200 bytes, so that a few tens of thousands of messages outgrow
/// the kernel's socket buffers (about 4 MiB between a server and a client that stopped
/// reading) and the rest must wait in the server's queue.
private let padding = String(repeating: "x", count: 190)

/// Publishes `count` numbered messages to `topic` and waits until the server has handled
/// them all: its `PONG` to a later `PING` comes after every delivery has been queued.
private func publishAndSync(_ publisher: LineSocket, topic: String, count: Int) throws {
  try publisher.send(
    bytes: Array((0..<count).map { "PUB \(topic) m\($0) \(padding)\n" }.joined().utf8))
  try publisher.send("PING")
  try publisher.readLine(containing: "PONG")
}

/// Receives everything until the server closes the connection, without framing on the way,
/// so that reading megabytes takes the reader (and the server waiting for it) little time.
private func receiveAll(_ socket: LineSocket) throws -> [UInt8] {
  var received: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 1 << 20)
  while true {
    let count = try buffer.withUnsafeMutableBytes { try socket.connection.receive(into: $0) }
    if count == 0 { return received }
    received.append(contentsOf: buffer[..<count])
  }
}

/// Checks that `received` holds the lines `MSG <topic> <sender> m0 ...` to `m<count - 1>`,
/// then `last`.
private func expectDeliveries(
  _ received: [UInt8], topic: String, sender: String, count: Int, then last: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
  #expect(lines.count == count + 1, "\(lines.count) lines", sourceLocation: sourceLocation)
  for (number, line) in lines.prefix(count).enumerated()
  where line != "MSG \(topic) \(sender) m\(number) \(padding)" {
    Issue.record("message \(number): got '\(line.prefix(60))'", sourceLocation: sourceLocation)
    return
  }
  #expect(lines.last.map(String.init) == last, sourceLocation: sourceLocation)
}

@Suite("Graceful shutdown", .timeLimit(.minutes(1)))
struct ShutdownTests {
  init() { ignoreBrokenPipeSignal() }

  @Test(
    "SIGINT/SIGTERM: clients get what was queued, then are told; exit 0 within 1 s",
    arguments: [SIGINT, SIGTERM])
  func tellsDrainsAndExits(signal: Int32) throws {
    let server = try TestServer(
      "task3-server", extraArguments: ["--quiet", "--max-pending-kib", "65536"])
    let subscriber = try joinedSocket(
      port: server.port, hello: "HELLO SUBSCRIBER name=sub", subscribe: ["drain"])
    let publisher = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=pub")
    let unannounced = try LineSocket(port: server.port)  // connected, never says hello
    // A backlog of about 6 MiB that the subscriber has not read yet.
    let count = 30_000
    try publishAndSync(publisher, topic: "drain", count: count)

    let signalled = ContinuousClock.now
    server.program.send(signal: signal)
    let received = try receiveAll(subscriber)
    let publisherEnding = readUntilEnd(publisher)
    let unannouncedEnding = readUntilEnd(unannounced)
    #expect(try server.program.waitForExit(timeout: .seconds(5)) == 0)
    let elapsed = ContinuousClock.now - signalled - Sanitizers.exitDelay
    #expect(elapsed < .seconds(1), "exited \(elapsed) after the signal")
    // Checked after the exit was timed, so that checking costs the server no time.
    expectDeliveries(
      received, topic: "drain", sender: "pub", count: count, then: "-ERR server shutting down")
    #expect(publisherEnding == .closed(lines: ["-ERR server shutting down"]))
    #expect(unannouncedEnding == .closed(lines: []))
    #expect(server.program.output.contains("shutting down: telling 2 clients"))
  }

  @Test("a client that reads nothing cannot hold shutdown past the drain deadline")
  func stuckClientDoesNotDelayExit() throws {
    let server = try TestServer(
      "task3-server", extraArguments: ["--quiet", "--max-pending-kib", "65536"])
    let stuck = try joinedSocket(
      port: server.port, hello: "HELLO SUBSCRIBER name=stuck", subscribe: ["drain"])
    let publisher = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=pub")
    // More than the kernel buffers hold: the stuck client's queue will never empty.
    try publishAndSync(publisher, topic: "drain", count: 30_000)

    let signalled = ContinuousClock.now
    server.program.send(signal: SIGTERM)
    try server.program.waitForOutput(containing: "shutting down")
    // While the stuck client holds the server up to the deadline, connections are refused.
    try waitUntil("the listener to close", timeout: .seconds(1)) { isRefused(port: server.port) }
    #expect(server.program.isRunning, "the server exited before refusal could be checked")
    #expect(readUntilEnd(publisher) == .closed(lines: ["-ERR server shutting down"]))
    #expect(try server.program.waitForExit(timeout: .seconds(5)) == 0)
    let elapsed = ContinuousClock.now - signalled - Sanitizers.exitDelay
    #expect(elapsed < .seconds(1), "exited \(elapsed) after the signal")
    withExtendedLifetime(stuck) {}  // open and unread to the end
  }
}
