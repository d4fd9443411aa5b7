import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Starts a `task3-client` and waits until it has joined (and, for a subscriber, until every
/// topic is subscribed), so that what the test publishes next is not missed.
private func join(
  _ server: TestServer, _ role: String, _ topics: String, extra: [String] = []
) throws -> RunningProgram {
  let client = try server.startClient("task3-client", [role, topics] + extra)
  try client.waitForOutput(containing: "joined as")
  if role.uppercased() == "SUBSCRIBER" {
    try client.waitForOutput(
      containing: "subscribed to", count: topics.split(separator: ",").count)
  }
  return client
}

/// A raw protocol client, for tests needing many clients or exact bytes.
private func raw(
  _ server: TestServer, _ hello: String, subscribe filters: [String] = []
) throws -> LineSocket {
  let socket = try LineSocket(port: server.port)
  try socket.send(hello)
  try socket.readLine(containing: "+OK HELLO")
  for filter in filters {
    try socket.send("SUB \(filter)")
    try socket.readLine(containing: "+OK subscribed to \(filter)")
  }
  return socket
}

@Suite("Task 3 programs", .timeLimit(.minutes(1)))
struct BrokerProgramTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("a line reaches exactly the subscribers of its topic, with topic, sender and time")
  func topicFiltering() throws {
    let server = try TestServer("task3-server")
    let onA = try join(server, "SUBSCRIBER", "TOPIC_A")
    let onAB = try join(server, "SUBSCRIBER", "TOPIC_AB")
    let onBoth = try join(server, "subscriber", "TOPIC_A,TOPIC_AB")
    let publisherA = try join(server, "PUBLISHER", "TOPIC_A", extra: ["--name", "alice"])
    let publisherAB = try join(server, "PUBLISHER", "TOPIC_AB")
    publisherA.type("only for A")
    publisherAB.type("only for AB")
    let delivery = try onA.waitForOutput(containing: "only for A")
    #expect(delivery.contains("[TOPIC_A] alice: only for A"))
    #expect(delivery.hasPrefix("["))
    try onAB.waitForOutput(containing: "only for AB")
    try onBoth.waitForOutput(containing: "only for A")
    try onBoth.waitForOutput(containing: "only for AB")
    // Both messages have been delivered everywhere they go; nothing else arrived.
    #expect(!onA.output.contains("only for AB"))
    #expect(!onAB.output.contains("only for A\n"))
    #expect(!publisherA.output.contains("only for"))
    #expect(!publisherAB.output.contains("only for A\n"))
    try server.program.waitForOutput(containing: "alice -> TOPIC_A: only for A")
  }

  @Test("a publisher with several topics publishes each typed line on each")
  func multiTopicPublisher() throws {
    let server = try TestServer("task3-server")
    let news = try join(server, "SUBSCRIBER", "news")
    let sports = try join(server, "SUBSCRIBER", "sports")
    let publisher = try join(server, "PUBLISHER", "news,sports")
    publisher.type("big day")
    try news.waitForOutput(containing: "[news]")
    try sports.waitForOutput(containing: "[sports]")
  }

  @Test("wildcard subscriptions receive matching topics only")
  func wildcards() throws {
    let server = try TestServer("task3-server")
    let oneLevel = try join(server, "SUBSCRIBER", "sports.*")
    let allBelow = try join(server, "SUBSCRIBER", "sports.>")
    let publisher = try join(server, "PUBLISHER", "sports.football,sports.football.scores,news")
    publisher.type("wildcard test")
    try allBelow.waitForOutput(containing: "[sports.football.scores]")
    try allBelow.waitForOutput(containing: "[sports.football]")
    try oneLevel.waitForOutput(containing: "[sports.football]")
    publisher.type("marker")
    try oneLevel.waitForOutput(containing: "marker")
    #expect(!oneLevel.output.contains("[sports.football.scores]"))
    #expect(!oneLevel.output.contains("[news]"))
    #expect(!allBelow.output.contains("[news]"))
  }

  @Test("subscribe and unsubscribe at run time; topics and who list the state")
  func runtimeCommands() throws {
    let server = try TestServer("task3-server")
    let subscriber = try join(server, "SUBSCRIBER", "a", extra: ["--name", "sam"])
    let publisher = try join(server, "PUBLISHER", "a", extra: ["--name", "pat"])
    subscriber.type("/sub b.*")
    try subscriber.waitForOutput(containing: "subscribed to b.*")
    subscriber.type("/topics")
    try subscriber.waitForOutput(containing: "topics: a (1 subscriber), b.* (1 subscriber)")
    subscriber.type("/who")
    try subscriber.waitForOutput(
      containing: "connected: sam (subscriber on a,b.*), pat (publisher)")
    subscriber.type("/unsub a")
    try subscriber.waitForOutput(containing: "unsubscribed from a")
    subscriber.type("/unsub a")
    try subscriber.waitForErrorOutput(containing: "error: not subscribed to a")
    publisher.type("/pub b.x via wildcard")
    try subscriber.waitForOutput(containing: "[b.x] pat: via wildcard")
    publisher.type("to a, unheard")
    publisher.type("/pub b.y marker")
    try subscriber.waitForOutput(containing: "marker")
    #expect(!subscriber.output.contains("unheard"))
  }

  @Test("direct messages reach the named client; unknown names are an error")
  func directMessages() throws {
    let server = try TestServer("task3-server")
    let bob = try join(server, "SUBSCRIBER", "x", extra: ["--name", "bob"])
    let alice = try join(server, "PUBLISHER", "x", extra: ["--name", "alice"])
    alice.type("/dm bob psst, bob")
    try bob.waitForOutput(containing: "(direct) alice: psst, bob")
    try alice.waitForOutput(containing: "sent to bob")
    alice.type("/dm carol hello?")
    try alice.waitForErrorOutput(containing: "error: no client named carol")
  }

  @Test("a duplicate name is refused with a clear error")
  func duplicateName() throws {
    let server = try TestServer("task3-server")
    let first = try join(server, "SUBSCRIBER", "x", extra: ["--name", "unique"])
    let second = try server.startClient("task3-client", ["PUBLISHER", "x", "--name", "unique"])
    try second.waitForErrorOutput(containing: "name 'unique' is already taken")
    #expect(try second.waitForExit() == 1)
    #expect(first.isRunning)
  }

  @Test("with --token, a wrong or missing token is refused and the right one admitted")
  func tokenAuthentication() throws {
    let server = try TestServer("task3-server", extraArguments: ["--token", "s3cret"])
    let wrong = try server.startClient("task3-client", ["SUBSCRIBER", "x", "--token", "guess"])
    try wrong.waitForErrorOutput(containing: "authentication failed")
    #expect(try wrong.waitForExit() == 1)
    let missing = try server.startClient("task3-client", ["SUBSCRIBER", "x"])
    try missing.waitForErrorOutput(containing: "authentication failed")
    _ = try join(server, "SUBSCRIBER", "x", extra: ["--token", "s3cret"])
  }

  @Test("stats show clients, topics and message counts")
  func stats() throws {
    let server = try TestServer("task3-server")
    let subscriber = try join(server, "SUBSCRIBER", "s")
    let publisher = try join(server, "PUBLISHER", "s")
    for number in 1...5 { publisher.type("n\(number)") }
    try subscriber.waitForOutput(containing: "n5")
    publisher.type("/stats")
    try publisher.waitForOutput(containing: "stats: clients=2 topics=1 in=5 out=5")
  }

  @Test("a silent dead peer is pinged and then dropped; a live client answers and stays")
  func keepalive() throws {
    let server = try TestServer("task3-server", extraArguments: ["--ping-interval", "1"])
    let live = try join(server, "SUBSCRIBER", "k")
    let silent = try raw(server, "HELLO SUBSCRIBER name=silent")
    #expect(try silent.readLine() == "PING")
    // It never answers: after another interval the server gives up on it.
    try server.program.waitForOutput(
      containing: "silent disconnected: no PONG", timeout: .seconds(10))
    #expect(try silent.readToEnd().last?.contains("-ERR no PONG") == true)
    // The real client answered its pings and is still served.
    let publisher = try join(server, "PUBLISHER", "k")
    publisher.type("still alive")
    try live.waitForOutput(containing: "still alive")
  }

  @Test("one publisher's 10,000 messages arrive complete and in order")
  func order() throws {
    let server = try TestServer("task3-server", extraArguments: ["--quiet"])
    let subscriber = try raw(server, "HELLO SUBSCRIBER", subscribe: ["o"])
    let publisher = try raw(server, "HELLO PUBLISHER name=p")
    let count = 10_000
    try publisher.send(bytes: Array((0..<count).map { "PUB o m\($0)\n" }.joined().utf8))
    for number in 0..<count {
      let line = try subscriber.readLine()
      if line != "MSG o p m\(number)" {
        Issue.record("message \(number): got \(line ?? "end of stream")")
        break
      }
    }
  }

  @Test("1,000 concurrent clients are served")
  func thousandClients() throws {
    let server = try TestServer("task3-server", extraArguments: ["--quiet"])
    let subscribers = try (0..<999).map { _ in
      try raw(server, "HELLO SUBSCRIBER", subscribe: ["crowd"])
    }
    let publisher = try raw(server, "HELLO PUBLISHER name=announcer")
    try publisher.send("PUB crowd hello, everyone")
    for subscriber in subscribers {
      #expect(try subscriber.readLine() == "MSG crowd announcer hello, everyone")
    }
  }

  @Test("bad input gets a clear error; honest clients never notice")
  func hostileInput() throws {
    let server = try TestServer("task3-server")
    let subscriber = try raw(server, "HELLO SUBSCRIBER", subscribe: ["h"])
    let publisher = try raw(server, "HELLO PUBLISHER")
    let mischief = try raw(server, "HELLO PUBLISHER")
    for (bad, reason) in [
      ("FROB", "unknown command"), ("PUB", "usage: PUB"), ("PUB bad..topic x", "empty token"),
      ("PUB h.* x", "wildcards go in subscriptions only"), ("SUB h", "publishers cannot subscribe"),
      ("PUB \(String(repeating: "t", count: 300)) x", "longer than 256"),
    ] {
      try mischief.send(bad)
      let reply = try mischief.readLine() ?? ""
      #expect(reply.hasPrefix("-ERR") && reply.contains(reason), "\(bad) -> \(reply)")
    }
    try mischief.send(bytes: [0xFF, 0x00, 0x0A])
    #expect(try mischief.readLine()?.hasPrefix("-ERR unknown command") == true)
    try mischief.send(String(repeating: "z", count: 5000))
    #expect(try mischief.readLine()?.contains("longer than 4096 bytes") == true)
    #expect(try mischief.readToEnd().isEmpty)
    let noHello = try LineSocket(port: server.port)
    try noHello.send("PUB h sneaky")
    #expect(try noHello.readLine()?.hasPrefix("-ERR expected HELLO") == true)
    try publisher.send("PUB h honest")
    #expect(try subscriber.readLine() == "MSG h publisher-2 honest")
  }

  @Test("Ctrl-C tells clients and exits 0")
  func gracefulShutdown() throws {
    let server = try TestServer("task3-server")
    let subscriber = try join(server, "SUBSCRIBER", "z")
    server.program.send(signal: SIGINT)
    #expect(try server.program.waitForExit(timeout: .seconds(5)) == 0)
    try subscriber.waitForErrorOutput(containing: "server shutting down")
    #expect(try subscriber.waitForExit() == 1)
  }

  @Test(
    "a missing topic or role prints usage and exits 2",
    arguments: [
      ["localhost", "5000", "PUBLISHER"], ["localhost", "5000"], ["localhost", "5000", "X", "t"],
      ["localhost", "5000", "PUBLISHER", "a..b"], ["localhost", "5000", "PUBLISHER", "a.*"],
      ["localhost", "5000", "SUBSCRIBER", "t", "--name"],
    ])
  func usageErrors(arguments: [String]) throws {
    let client = try RunningProgram("task3-client", arguments)
    #expect(try client.waitForExit() == 2)
    #expect(client.errorOutput.contains("usage: task3-client"))
  }
}
