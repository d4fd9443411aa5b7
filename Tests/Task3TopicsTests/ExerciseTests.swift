import Foundation
import Task1Echo
import Task2Roles
import Task3Topics
import TestSupport
import Testing

/// Checks for the exercises at the end of Task3Topics/README.md.
///
/// Each test is disabled: it describes behaviour the broker does not have until you add it.
/// When you have done an exercise, delete the `.disabled(...)` trait of its test and run
/// `swift test --filter Task3ExerciseTests`. Each one fails against the code as shipped.
@Suite("Task 3 exercises", .timeLimit(.minutes(1)))
struct Task3ExerciseTests {
  init() { ignoreBrokenPipeSignal() }

  /// Joins `server` over a raw socket with `hello`, then subscribes to each of `filters`.
  private func join(
    _ server: TestServer, _ hello: String, subscribingTo filters: [String] = []
  ) throws -> LineSocket {
    let socket = try LineSocket(port: server.port)
    try socket.send(hello)
    try socket.readLine(containing: "+OK HELLO")
    for filter in filters {
      try socket.send("SUB \(filter)")
      #expect(try socket.readLine() == "+OK subscribed to \(filter)")
    }
    return socket
  }

  @Test(
    "exercise 1: STATS <topic> counts the messages published on a topic and their deliveries",
    .disabled("exercise 1: delete this trait once STATS takes a topic"))
  func perTopicCounters() throws {
    let server = try TestServer("task3-server")
    // Kept until the end of the test: a released socket closes, and its subscriber leaves.
    let subscribers = [
      try join(server, "HELLO SUBSCRIBER", subscribingTo: ["news"]),
      try join(server, "HELLO SUBSCRIBER", subscribingTo: ["news.>", "news", "sports"]),
    ]
    defer { withExtendedLifetime(subscribers) {} }
    let publisher = try join(server, "HELLO PUBLISHER name=pat")
    for text in ["one", "two", "three"] { try publisher.send("PUB news \(text)") }
    try publisher.send("PUB sports four")
    // The publisher's own connection handles its commands in order, so its STATS comes
    // after its publishes have been delivered and counted.
    try publisher.send("STATS news")
    #expect(try publisher.readLine() == "+OK STATS news in=3 out=6")
    try publisher.send("STATS sports")
    #expect(try publisher.readLine() == "+OK STATS sports in=1 out=1")
    try publisher.send("STATS nobody.publishes.here")
    #expect(try publisher.readLine() == "+OK STATS nobody.publishes.here in=0 out=0")
    try publisher.send("STATS")
    #expect(try publisher.readLine()?.hasPrefix("+OK STATS clients=3 ") == true)
  }

  @Test(
    "exercise 2: LAST <topic> <n> replays a topic's newest messages; /last N asks for them",
    .disabled("exercise 2: delete this trait once LAST and /last are implemented"))
  func lastMessages() throws {
    let server = try TestServer("task3-server")
    let publisher = try join(server, "HELLO PUBLISHER name=pat")
    for number in 1...120 { try publisher.send("PUB news m\(number)") }
    try publisher.send("PUB sports other")
    try publisher.send("PING")
    #expect(try publisher.readLine() == "PONG")  // every publish above has been handled

    // A subscriber that joins later asks for what it missed.
    let latecomer = try join(server, "HELLO SUBSCRIBER")
    try latecomer.send("LAST news 3")
    for number in 118...120 { #expect(try latecomer.readLine() == "MSG news pat m\(number)") }
    #expect(try latecomer.readLine() == "+OK LAST 3")
    // At most 100 messages are kept per topic, oldest first.
    try latecomer.send("LAST news 1000")
    for number in 21...120 { #expect(try latecomer.readLine() == "MSG news pat m\(number)") }
    #expect(try latecomer.readLine() == "+OK LAST 100")
    try latecomer.send("LAST weather 5")
    #expect(try latecomer.readLine() == "+OK LAST 0")
    try latecomer.send("LAST news many")
    #expect(try latecomer.readLine()?.hasPrefix("-ERR ") == true)

    // In the client, /last N asks for the last N messages of each of its topics.
    let translator = TypedLineTranslator(role: .subscriber, topics: ["news", "sports"])
    #expect(translator.translate("/last 5") == .send(["LAST news 5", "LAST sports 5"]))
  }

  @Test(
    "exercise 3: MQTT-style wildcards: + is one token, # (last) is zero or more tokens",
    .disabled("exercise 3: delete this trait once + and # are implemented"))
  func mqttWildcards() throws {
    #expect(Topic.validateFilter("sports.+.scores") == nil)
    #expect(Topic.validateFilter("sports.#") == nil)
    #expect(Topic.validateFilter("#") == nil)
    #expect(Topic.validateFilter("sports.#.scores") == .misplacedWildcard)
    #expect(Topic.validateFilter("sports.foot+") == .misplacedWildcard)
    #expect(Topic.validateName(Array("sports.+".utf8)) == .misplacedWildcard)
    #expect(Topic.validateName(Array("sports.#".utf8)) == .misplacedWildcard)

    let router = TopicRouter()
    router.subscribe(1, to: "sports.+")
    router.subscribe(2, to: "sports.#")
    router.subscribe(3, to: "#")
    router.subscribe(4, to: "+.football.+")
    #expect(router.subscribers(of: "sports") == [2, 3], "# also matches its parent")
    #expect(router.subscribers(of: "sports.football") == [1, 2, 3])
    #expect(router.subscribers(of: "sports.football.scores") == [2, 3, 4])
    #expect(router.subscribers(of: "news") == [3])
    router.unsubscribe(2, from: "sports.#")
    #expect(router.subscribers(of: "sports") == [3])
    // NATS's wildcards still work beside them.
    router.subscribe(5, to: "sports.>")
    #expect(router.subscribers(of: "sports") == [3])
    #expect(router.subscribers(of: "sports.tennis") == [1, 3, 5])
  }
}
