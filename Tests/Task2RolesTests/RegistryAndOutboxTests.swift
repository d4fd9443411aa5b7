import Foundation
import Task1Echo
import Task2Roles
import TestSupport
import Testing

/// The pure and in-process parts of Task 2: hello parsing, the registry under concurrent
/// change, and the outbox's queueing and slow-consumer policy over a loopback connection.
@Suite("Task 2 parts")
struct RegistryAndOutboxTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("hello lines parse in any case; anything else is refused")
  func helloParsing() {
    #expect(Hello.parse(Array("HELLO PUBLISHER".utf8)) == .publisher)
    #expect(Hello.parse(Array("hello   subscriber".utf8)) == .subscriber)
    #expect(Hello.parse(Array("HELLO".utf8)) == nil)
    #expect(Hello.parse(Array("HELLO ADMIN".utf8)) == nil)
    #expect(Hello.parse(Array("HELLO PUBLISHER extra".utf8)) == nil)
    #expect(Hello.parse([0xFF, 0x00]) == nil)
    #expect(Role(parsing: "Subscriber") == .subscriber)
  }

  /// A loopback connection pair: (the server's side, the client's side).
  private func pair() throws -> (server: Connection, client: Connection) {
    let listener = try Listener.bind(host: "127.0.0.1", port: 0)
    let client = try Connection.connect(host: "127.0.0.1", port: listener.localPort)
    let server = try listener.accept()
    try client.socket.setReceiveTimeout(.seconds(10))
    return (server, client)
  }

  @Test("many threads joining and leaving at once leave the registry consistent")
  func registryUnderConcurrency() throws {
    let registry = ClientRegistry()
    let (server, _) = try pair()
    let outbox = Outbox(connection: server)
    let threads = 8
    let perThread = 500
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
      for index in 0..<perThread {
        let number = thread * perThread + index
        let role: Role = number.isMultiple(of: 2) ? .subscriber : .publisher
        registry.add(
          Client(number: number, role: role, name: "c\(number)", peer: server.peer, outbox: outbox))
        _ = registry.subscribers.count
        if number % 4 < 2 { registry.remove(number: number) }  // half of them leave again
      }
    }
    #expect(registry.count == threads * perThread / 2)
    #expect(registry.subscribers.count == threads * perThread / 4)
    #expect(registry.all.map(\.number) == registry.all.map(\.number).sorted())
  }

  @Test("queued bytes arrive in order, then the final line, then end of stream")
  func outboxDeliversInOrder() throws {
    let (server, client) = try pair()
    let outbox = Outbox(connection: server)
    outbox.start()
    for number in 0..<1000 { #expect(outbox.enqueue(line: "message \(number)") == .queued) }
    outbox.close(finalLine: "+OK bye")
    let reader = LineSocket(wrapping: client)
    let lines = try reader.readToEnd()
    #expect(lines.count == 1001)
    #expect(lines.first == "message 0")
    #expect(lines[999] == "message 999")
    #expect(lines.last == "+OK bye")
    #expect(outbox.enqueue(line: "too late") == .closed)
  }

  @Test("a consumer that does not read is disconnected once its queue passes the limit")
  func slowConsumer() throws {
    let (server, client) = try pair()
    let limit = 64 << 10
    let outbox = Outbox(
      connection: server, limits: .init(maximumPendingBytes: limit, writeDeadline: .seconds(5)))
    outbox.start()
    let chunk = [UInt8](repeating: 0x41, count: 1023) + [0x0A]
    var results: [Outbox.EnqueueResult] = []
    // The client reads nothing, so the kernel buffers fill and then the queue does.
    for _ in 0..<20_000 {
      let result = outbox.enqueue(chunk)
      results.append(result)
      if result != .queued { break }
    }
    #expect(results.last == .overflowed)
    #expect(results.filter { $0 == .overflowed }.count == 1)
    #expect(outbox.enqueue(chunk) == .closed)
    #expect(outbox.pendingByteCount <= limit)
    #expect(outbox.endReason == .slowConsumer(limit: limit))
    // The client can still read: it gets what was in flight, then the reason, then the end.
    let lines = try LineSocket(wrapping: client).readToEnd()
    #expect(lines.last?.hasPrefix("-ERR slow consumer") == true)
    #expect(outbox.waitUntilFinished(before: Date(timeIntervalSinceNow: 10)))
  }

  @Test("a peer that went away ends the outbox with a send failure, not a crash")
  func peerGone() throws {
    var (server, client): (Connection, Connection?) = try pair()
    let outbox = Outbox(connection: server)
    outbox.start()
    client = nil
    #expect(client == nil)
    let chunk = [UInt8](repeating: 0x42, count: 65_536)
    try waitUntil("the outbox to notice the peer is gone") {
      outbox.enqueue(chunk)
      return outbox.endReason != nil
    }
    #expect(outbox.waitUntilFinished(before: Date(timeIntervalSinceNow: 10)))
    if case .sendFailed? = outbox.endReason {
    } else {
      Issue.record("unexpected end reason \(String(describing: outbox.endReason))")
    }
  }
}
