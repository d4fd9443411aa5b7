import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Starts a Task 2 client and waits until the server has accepted its hello.
private func join(_ server: TestServer, as role: String) throws -> RunningProgram {
  let client = try server.startClient("task2-client", [role])
  try client.waitForOutput(containing: "joined as")
  return client
}

/// A raw subscriber speaking the protocol directly, for tests that need many or fast ones.
private func rawSubscriber(_ server: TestServer) throws -> LineSocket {
  let socket = try LineSocket(port: server.port)
  try socket.send("HELLO SUBSCRIBER")
  try socket.readLine(containing: "+OK subscriber-")
  return socket
}

/// `task2-server` and `task2-client` driven through their arguments, input and output.
@Suite("Task 2 programs", .timeLimit(.minutes(1)))
struct RoleProgramTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("a publisher's line reaches every subscriber and no publisher")
  func fanOut() throws {
    let server = try TestServer("task2-server")
    let subscribers = try (0..<3).map { _ in try join(server, as: "SUBSCRIBER") }
    let publishers = try (0..<2).map { _ in try join(server, as: "publisher") }
    publishers[0].type("breaking news")
    for subscriber in subscribers {
      let line = try subscriber.waitForOutput(containing: "breaking news")
      #expect(line.contains("publisher-"))
    }
    let shown = try server.program.waitForOutput(containing: "breaking news")
    #expect(shown.contains("publisher-"))
    // A later message from the other publisher arrives after the first at every subscriber;
    // by then the first would have reached any publisher that (wrongly) got deliveries.
    publishers[1].type("second story")
    for subscriber in subscribers { try subscriber.waitForOutput(containing: "second story") }
    for publisher in publishers {
      #expect(!publisher.output.contains("breaking news"))
      #expect(!publisher.output.contains("second story"))
    }
  }

  @Test("a subscriber's typed line is shown on the server only")
  func subscriberTalksToServerOnly() throws {
    let server = try TestServer("task2-server")
    let talker = try join(server, as: "SUBSCRIBER")
    let listener = try join(server, as: "SUBSCRIBER")
    let publisher = try join(server, as: "PUBLISHER")
    talker.type("just saying")
    let shown = try server.program.waitForOutput(containing: "just saying")
    #expect(shown.contains("subscriber-"))
    publisher.type("marker")
    try listener.waitForOutput(containing: "marker")
    try talker.waitForOutput(containing: "marker")
    #expect(!listener.output.contains("just saying"))
    #expect(!publisher.output.contains("just saying"))
  }

  @Test(
    "terminate ends publishers and subscribers with status 0",
    arguments: ["PUBLISHER", "SUBSCRIBER"])
  func terminate(role: String) throws {
    let server = try TestServer("task2-server")
    let client = try join(server, as: role)
    client.type("TERMINATE")
    #expect(try client.waitForExit() == 0)
    try server.program.waitForOutput(containing: "sent terminate; left")
  }

  @Test("end of input: a publisher sends everything and exits 0; a subscriber keeps listening")
  func endOfInput() throws {
    let server = try TestServer("task2-server")
    let subscriber = try join(server, as: "SUBSCRIBER")
    subscriber.closeInput()
    let publisher = try server.startClient("task2-client", ["PUBLISHER"])
    for number in 1...100 { publisher.type("update \(number)") }
    publisher.closeInput()
    #expect(try publisher.waitForExit() == 0)
    try subscriber.waitForOutput(containing: "update 100")
    #expect(subscriber.isRunning)
    // Still listening: a new publisher's message still arrives.
    let later = try join(server, as: "PUBLISHER")
    later.type("still there?")
    try subscriber.waitForOutput(containing: "still there?")
  }

  @Test("one publisher's messages arrive in order and complete")
  func orderAndCompleteness() throws {
    let server = try TestServer("task2-server", extraArguments: ["--quiet"])
    let subscriber = try rawSubscriber(server)
    let publisher = try LineSocket(port: server.port)
    try publisher.send("HELLO PUBLISHER")
    try publisher.readLine(containing: "+OK")
    let count = 10_000
    try publisher.send(bytes: Array((0..<count).map { "m\($0)\n" }.joined().utf8))
    for number in 0..<count {
      let line = try #require(try subscriber.readLine())
      #expect(line == "MSG publisher-2 m\(number)")
      if line != "MSG publisher-2 m\(number)" { break }
    }
  }

  @Test("100 simultaneous subscribers all receive a message")
  func hundredSubscribers() throws {
    let server = try TestServer("task2-server")
    let subscribers = try (0..<100).map { _ in try rawSubscriber(server) }
    let publisher = try join(server, as: "PUBLISHER")
    publisher.type("to all hundred")
    for subscriber in subscribers {
      let line = try subscriber.readLine()
      #expect(line?.hasSuffix(" to all hundred") == true)
    }
  }

  @Test("a killed subscriber disturbs no one")
  func killedSubscriber() throws {
    let server = try TestServer("task2-server")
    let victim = try join(server, as: "SUBSCRIBER")
    let survivor = try join(server, as: "SUBSCRIBER")
    let publisher = try join(server, as: "PUBLISHER")
    victim.send(signal: SIGKILL)
    _ = try victim.waitForExit()
    try server.program.waitForOutput(containing: "subscriber-1 left")
    publisher.type("after the crash")
    try survivor.waitForOutput(containing: "after the crash")
  }

  @Test("a stopped subscriber is disconnected as a slow consumer; the rest get all 20 MB")
  func stoppedSubscriber() throws {
    let server = try TestServer("task2-server", extraArguments: ["--quiet"])
    let stopped = try join(server, as: "SUBSCRIBER")
    let reader = try rawSubscriber(server)
    stopped.send(signal: SIGSTOP)
    defer { stopped.send(signal: SIGCONT) }
    let publisher = try LineSocket(port: server.port)
    try publisher.send("HELLO PUBLISHER")
    try publisher.readLine(containing: "+OK")
    let line = String(repeating: "x", count: 120)
    let linesPerChunk = 1000
    let chunks = 20 * (1 << 20) / ((line.count + 1) * linesPerChunk) + 1
    let chunk = Array(String(repeating: line + "\n", count: linesPerChunk).utf8)
    // Publish a chunk, then read it as the honest subscriber, and repeat: the honest reader
    // keeps up however busy the machine is (a reader that fell 4 MiB behind would rightly be
    // cut off too), while the stopped one falls further behind with every chunk.
    var received = 0
    for _ in 0..<chunks {
      try publisher.send(bytes: chunk)
      var inChunk = 0
      while inChunk < linesPerChunk {
        guard let delivery = try reader.readLine() else { break }
        if delivery.hasPrefix("MSG ") { inChunk += 1 }
      }
      received += inChunk
      if inChunk < linesPerChunk { break }
    }
    #expect(received == chunks * linesPerChunk)
    try server.program.waitForOutput(containing: "slow consumer")
    let residentMegabytes =
      ProcessFacts.residentKilobytes(of: server.program.processIdentifier) / 1024
    #expect(residentMegabytes < 120, "server memory must stay bounded")
    stopped.send(signal: SIGCONT)
    #expect(try stopped.waitForExit(timeout: .seconds(20)) == 1)
  }

  @Test("bad input gets an error and a close; everyone else carries on")
  func hostileInput() throws {
    let server = try TestServer("task2-server")
    let subscriber = try rawSubscriber(server)
    let badHello = try LineSocket(port: server.port)
    try badHello.send("HELLO ADMIN")
    #expect(try badHello.readLine()?.hasPrefix("-ERR expected HELLO") == true)
    #expect(try badHello.readToEnd().isEmpty)
    let garbage = try LineSocket(port: server.port)
    try garbage.send(bytes: [0xFF, 0x00, 0xC3, 0x0A])
    #expect(try garbage.readLine()?.hasPrefix("-ERR") == true)
    let longLine = try LineSocket(port: server.port)
    try longLine.send("HELLO PUBLISHER")
    try longLine.readLine(containing: "+OK")
    try longLine.send(String(repeating: "y", count: 10_000))
    #expect(try longLine.readLine()?.contains("longer than 4096 bytes") == true)
    let publisher = try LineSocket(port: server.port)
    try publisher.send("HELLO PUBLISHER")
    try publisher.readLine(containing: "+OK")
    try publisher.send("business as usual")
    #expect(try subscriber.readLine()?.hasSuffix("business as usual") == true)
  }

  @Test("after 1,000 connect/disconnect cycles descriptors and threads are back to baseline")
  func churn() throws {
    let server = try TestServer("task2-server", extraArguments: ["--quiet"])
    let pid = server.program.processIdentifier
    // Warm up once so lazily created threads (Dispatch, signal watcher) count as baseline.
    _ = try rawSubscriber(server)
    try waitUntil("the warm-up client to leave") { server.program.output.contains("left") }
    let descriptors = ProcessFacts.openDescriptorCount(of: pid)
    let threads = ProcessFacts.threadCount(of: pid)
    for cycle in 0..<1000 {
      let socket = try LineSocket(port: server.port)
      if cycle % 3 != 0 {
        try socket.send(cycle % 3 == 1 ? "HELLO SUBSCRIBER" : "HELLO PUBLISHER")
        try socket.readLine(containing: "+OK")
      }
      if cycle % 2 == 0 { try socket.send("terminate") }
    }
    try waitUntil("descriptors and threads back to baseline", timeout: .seconds(30)) {
      ProcessFacts.openDescriptorCount(of: pid) <= descriptors
        && ProcessFacts.threadCount(of: pid) <= threads
    }
  }

  @Test("Ctrl-C tells connected clients and exits 0")
  func gracefulShutdown() throws {
    let server = try TestServer("task2-server")
    let subscriber = try join(server, as: "SUBSCRIBER")
    server.program.send(signal: SIGINT)
    #expect(try server.program.waitForExit(timeout: .seconds(5)) == 0)
    try subscriber.waitForErrorOutput(containing: "server shutting down")
    #expect(try subscriber.waitForExit() == 1)
  }

  @Test(
    "a missing or unknown role prints usage and exits 2",
    arguments: [
      ["localhost", "5000"], ["localhost", "5000", "BOSS"], ["localhost", "x", "PUBLISHER"],
    ])
  func usageErrors(arguments: [String]) throws {
    let client = try RunningProgram("task2-client", arguments)
    #expect(try client.waitForExit() == 2)
    #expect(client.errorOutput.contains("usage: task2-client HOST PORT PUBLISHER|SUBSCRIBER"))
  }
}
