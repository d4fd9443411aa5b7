import Foundation
import Task1Echo
import Task2Roles
import TestSupport
import Testing

/// Checks for the exercises at the end of Task2Roles/README.md.
///
/// Each test is disabled: it describes behaviour the workbook does not have until you add
/// it. When you have done an exercise, delete the `.disabled(...)` trait of its test and run
/// `swift test --filter Task2ExerciseTests`. Each one fails against the code as shipped.
@Suite("Task 2 exercises", .timeLimit(.minutes(1)))
struct Task2ExerciseTests {
  init() { ignoreBrokenPipeSignal() }

  /// Joins `server` over a raw socket as `role`, returning the socket and the name the
  /// server gave it (`publisher-3`).
  private func join(_ server: TestServer, as role: String) throws -> (LineSocket, String) {
    let socket = try LineSocket(port: server.port)
    try socket.send("HELLO \(role)")
    let reply = try socket.readLine(containing: "+OK ")
    return (socket, String(reply.dropFirst(4)))
  }

  @Test(
    "exercise 1: the server shows how many messages a publisher sent when it leaves",
    .disabled("exercise 1: delete this trait once the leave line counts messages"))
  func publisherMessageCounter() throws {
    let server = try TestServer("task2-server")
    let (chatty, chattyName) = try join(server, as: "PUBLISHER")
    for text in ["one", "two", "three"] { try chatty.send(text) }
    try chatty.send("terminate")
    try server.program.waitForOutput(
      containing: "\(chattyName) sent terminate; left after 3 messages")
    // A publisher that just disconnects is counted too, and one message is singular.
    let (terse, terseName) = try join(server, as: "PUBLISHER")
    try terse.send("only one")
    try server.program.waitForOutput(containing: "\(terseName): only one")
    terse.connection.close()
    try server.program.waitForOutput(containing: "\(terseName) left after 1 message")
  }

  @Test(
    "exercise 2: /count answers with the number of subscribers and is not delivered",
    .disabled("exercise 2: delete this trait once /count is implemented"))
  func countCommand() throws {
    let server = try TestServer("task2-server")
    let (first, _) = try join(server, as: "SUBSCRIBER")
    let (second, _) = try join(server, as: "SUBSCRIBER")
    let (publisher, publisherName) = try join(server, as: "PUBLISHER")
    try publisher.send("/count")
    #expect(try publisher.readLine() == "+OK 2 subscribers")
    try second.send("/COUNT")
    #expect(try second.readLine() == "+OK 2 subscribers")
    // The command is not a message: the next thing each subscriber gets is the next message.
    try publisher.send("after the count")
    for subscriber in [first, second] {
      #expect(try subscriber.readLine() == "MSG \(publisherName) after the count")
    }
    // The client shows the reply as it is, not as a join.
    let client = try server.startClient("task2-client", ["PUBLISHER"])
    try client.waitForOutput(containing: "joined as")
    client.type("/count")
    let shown = try client.waitForOutput(containing: "2 subscribers")
    #expect(!shown.contains("joined as"))
    client.type("terminate")
    #expect(try client.waitForExit() == 0)
  }

  @Test(
    "exercise 3: a slow consumer loses its oldest messages instead of its connection",
    .disabled("exercise 3: delete this trait once Outbox drops the oldest messages"))
  func dropOldest() throws {
    let listener = try Listener.bind(host: "127.0.0.1", port: 0)
    let client = try Connection.connect(host: "127.0.0.1", port: listener.localPort)
    let server = try listener.accept()
    try client.socket.setReceiveTimeout(.seconds(10))
    let limit = 64 << 10
    let outbox = Outbox(
      connection: server, limits: .init(maximumPendingBytes: limit, writeDeadline: .seconds(5)))
    outbox.start()

    // 20 MB while the client reads nothing: far more than the kernel's socket buffers and
    // the queue's limit together can hold.
    let padding = String(repeating: ".", count: 1000)
    let count = 20_000
    var refusals = 0
    for number in 0..<count where outbox.enqueue(line: "message \(number) \(padding)") != .queued {
      refusals += 1
    }
    #expect(refusals == 0, "every enqueue is accepted; the oldest queued messages make room")
    #expect(outbox.endReason == nil, "the client stays connected")
    #expect(outbox.pendingByteCount <= limit)
    outbox.close(finalLine: "+OK bye")

    // The client gets whole messages, oldest first, with a gap, ending with the newest.
    let lines = try LineSocket(wrapping: client).readToEnd()
    #expect(lines.last == "+OK bye")
    let numbers = lines.dropLast().compactMap { line -> Int? in
      let words = line.split(separator: " ")
      guard words.count == 3, words[0] == "message", words[2] == padding else { return nil }
      return Int(words[1])
    }
    #expect(numbers.count == lines.count - 1, "only whole messages arrive")
    #expect(numbers.count < count, "some messages were dropped")
    #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
    #expect(numbers.last == count - 1, "the newest message is kept")
  }
}
