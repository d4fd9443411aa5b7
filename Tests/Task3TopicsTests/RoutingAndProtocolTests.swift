import Task1Echo
import Task2Roles
import Task3Topics
import Testing

@Suite("Topics and routing")
struct RoutingTests {
  @Test(
    "valid names and filters are accepted",
    arguments: ["sports", "sports.football", "TOPIC_A", "a.b.c.d", "x-1_y"])
  func validNames(name: String) {
    #expect(Topic.validateName(Array(name.utf8)) == nil)
    #expect(Topic.validateFilter(name) == nil)
  }

  @Test(
    "invalid names are refused with the reason",
    arguments: [
      ("", Topic.Problem.empty), ("a..b", .emptyToken), (".a", .emptyToken), ("a.", .emptyToken),
      ("a b", .invalidCharacter), ("a,b", .invalidCharacter), ("a\u{1}", .invalidCharacter),
      ("a.*", .misplacedWildcard), ("a.>", .misplacedWildcard),
      (String(repeating: "x", count: 257), .tooLong),
    ])
  func invalidNames(name: String, problem: Topic.Problem) {
    #expect(Topic.validateName(Array(name.utf8)) == problem)
  }

  @Test(
    "wildcards are allowed in filters only as whole tokens, '>' only last",
    arguments: [
      ("a.*", true), ("*.b", true), ("a.>", true), (">", true), ("a*", false),
      ("a.>.b", false), ("a.b>", false), ("*x", false),
    ])
  func filters(filter: String, isValid: Bool) {
    #expect((Topic.validateFilter(filter) == nil) == isValid)
  }

  @Test("exact names match whole names only: TOPIC_A never matches TOPIC_AB")
  func exactMatching() {
    let router = TopicRouter()
    router.subscribe(1, to: "TOPIC_A")
    router.subscribe(2, to: "TOPIC_AB")
    router.subscribe(3, to: "sports")
    #expect(router.subscribers(of: "TOPIC_A") == [1])
    #expect(router.subscribers(of: "TOPIC_AB") == [2])
    #expect(router.subscribers(of: "TOPIC") == [])
    #expect(router.subscribers(of: "sports.football") == [])
    #expect(router.subscribers(of: "Sports") == [])  // case-sensitive
  }

  @Test("'*' matches one token and '>' one or more")
  func wildcardMatching() {
    let router = TopicRouter()
    router.subscribe(1, to: "sports.*")
    router.subscribe(2, to: "sports.>")
    router.subscribe(3, to: "*.football.*")
    router.subscribe(4, to: ">")
    router.subscribe(5, to: "sports.football")
    #expect(router.subscribers(of: "sports") == [4])
    #expect(router.subscribers(of: "sports.football") == [1, 2, 4, 5])
    #expect(router.subscribers(of: "sports.football.scores") == [2, 3, 4])
    #expect(router.subscribers(of: "news.football.scores") == [3, 4])
    #expect(router.subscribers(of: "news") == [4])
  }

  @Test("a subscriber matched by several filters is returned once")
  func noDuplicates() {
    let router = TopicRouter()
    for filter in ["a.b", "a.*", "a.>", ">", "*.b"] { router.subscribe(7, to: filter) }
    #expect(router.subscribers(of: "a.b") == [7])
  }

  @Test("unsubscribing removes exactly one subscription and prunes empty entries")
  func unsubscribe() {
    let router = TopicRouter()
    router.subscribe(1, to: "a.*")
    router.subscribe(1, to: "a.b")
    router.subscribe(2, to: "a.*")
    #expect(router.subscribe(1, to: "a.b") == false)
    #expect(router.unsubscribe(1, from: "a.*"))
    #expect(router.unsubscribe(1, from: "a.*") == false)
    #expect(router.subscribers(of: "a.b") == [1, 2])
    #expect(router.unsubscribe(1, from: "a.b"))
    #expect(router.unsubscribe(2, from: "a.*"))
    #expect(router.subscribers(of: "a.b") == [])
    #expect(router.filterCount == 0)
    #expect(router.subscriptionCounts.isEmpty)
  }

  @Test("counts subscribers per filter")
  func counts() {
    let router = TopicRouter()
    router.subscribe(1, to: "news")
    router.subscribe(2, to: "news")
    router.subscribe(2, to: "sports.>")
    #expect(router.subscriptionCounts.map(\.filter) == ["news", "sports.>"])
    #expect(router.subscriptionCounts.map(\.subscribers) == [2, 1])
  }
}

/// A conversation exercising every command, and what it parses to.
private let conversation = """
  HELLO subscriber name=alice token=s3cret\r
  PUB sports.football goal: 1-0, what a match!\r
  pub a b c\r
  SUB sports.>
  unsub sports.>
  DM bob  hello there
  SAY just watching
  TOPICS
  who
  STATS
  HELP
  PING
  PONG
  terminate

  """

@Suite("Protocol parser")
struct ProtocolParserTests {
  private func parse(chunkSize: Int) throws -> (BrokerHello?, [String]) {
    let bytes = Array(conversation.utf8)
    var framer = LineFramer()
    var hello: BrokerHello?
    var commands: [String] = []
    var offset = 0
    while offset < bytes.count {
      framer.append(contentsOf: bytes[offset..<min(offset + chunkSize, bytes.count)])
      offset += chunkSize
      while let line = try framer.nextLine() {
        if hello == nil {
          hello = try BrokerHello(parsing: line)
        } else {
          commands.append(Self.describe(try Command(parsing: line)))
        }
      }
    }
    return (hello, commands)
  }

  private static func describe(_ command: Command) -> String {
    switch command {
    case .publish(let topic, let text):
      "publish(\(String(decoding: topic, as: UTF8.self))|\(String(decoding: text, as: UTF8.self)))"
    default: "\(command)"
    }
  }

  @Test("parses a whole conversation fed at every chunk size", arguments: 1...40)
  func everyChunkSize(chunkSize: Int) throws {
    let (hello, commands) = try parse(chunkSize: chunkSize)
    #expect(hello == BrokerHello(role: .subscriber, name: "alice", token: "s3cret"))
    #expect(
      commands == [
        "publish(sports.football|goal: 1-0, what a match!)", "publish(a|b c)",
        "subscribe(\"sports.>\")", "unsubscribe(\"sports.>\")",
        "direct(to: \"bob\", text: \"hello there\")", "say(\"just watching\")", "topics", "who",
        "stats", "help", "ping", "pong", "quit",
      ])
  }

  @Test(
    "bad commands are refused with a clear reason",
    arguments: [
      ("FOO bar", "unknown command 'FOO'"), ("PUB", "usage: PUB"), ("PUB topic", "usage: PUB"),
      ("SUB", "usage: SUB"), ("SUB a b", "usage: SUB"), ("DM bob", "usage: DM"),
      ("TOPICS now", "TOPICS takes no arguments"), ("", "empty line"),
      ("\u{1B}[2J", "unknown command '\\u{1B}[2J'"),
    ])
  func badCommands(line: String, reason: String) {
    #expect {
      _ = try Command(parsing: Array(line.utf8)[...])
    } throws: { error in
      (error as? ProtocolError)?.message.contains(reason) == true
    }
  }

  @Test(
    "bad hellos are refused",
    arguments: [
      "HELLO", "HELLO ADMIN", "HI PUBLISHER", "HELLO PUBLISHER name=", "HELLO PUBLISHER bogus",
      "HELLO PUBLISHER name=has/slash",
      "HELLO SUBSCRIBER name=\(String(repeating: "n", count: 33))",
    ])
  func badHellos(line: String) {
    #expect(throws: ProtocolError.self) { _ = try BrokerHello(parsing: Array(line.utf8)) }
  }

  @Test("invalid UTF-8 and NUL bytes are data, not a crash")
  func binaryData() throws {
    let line: [UInt8] = Array("PUB t ".utf8) + [0xFF, 0x00, 0xFE]
    guard case .publish(let topic, let text) = try Command(parsing: line[...]) else {
      Issue.record("not a publish")
      return
    }
    #expect(Array(topic) == Array("t".utf8))
    #expect(Array(text) == [0xFF, 0x00, 0xFE])
  }
}

@Suite("task3-client helpers")
struct ClientHelperTests {
  @Test("a publisher's typed line goes to each of its topics; a subscriber's to the server")
  func plainText() {
    let publisher = TypedLineTranslator(role: .publisher, topics: ["a", "b"])
    #expect(publisher.translate("hi") == .send(["PUB a hi", "PUB b hi"]))
    #expect(publisher.translate("//slash") == .send(["PUB a /slash", "PUB b /slash"]))
    #expect(publisher.translate("") == .send([]))
    let subscriber = TypedLineTranslator(role: .subscriber, topics: ["a"])
    #expect(subscriber.translate("hi") == .send(["SAY hi"]))
  }

  @Test("slash commands become protocol commands; mistakes are explained locally")
  func commands() {
    let translator = TypedLineTranslator(role: .subscriber, topics: ["a"])
    #expect(translator.translate("/sub x.*") == .send(["SUB x.*"]))
    #expect(translator.translate("/UNSUB x") == .send(["UNSUB x"]))
    #expect(translator.translate("/dm bob hi there") == .send(["DM bob hi there"]))
    #expect(translator.translate("/pub t some text") == .send(["PUB t some text"]))
    #expect(translator.translate("/topics") == .send(["TOPICS"]))
    #expect(translator.translate("/help") == .show(TypedLineTranslator.help))
    #expect(translator.translate("/sub") == .show("usage: /sub TOPIC"))
    #expect(translator.translate("/nope") == .show("unknown command '/nope'; /help lists them"))
  }

  @Test("deliveries show time, topic and sender; replies are readable")
  func formatting() {
    let formatter = BrokerLineFormatter()
    #expect(
      formatter.format("MSG sports alice goal scored", time: "T") == (
        "[T] [sports] alice: goal scored", .output
      ))
    #expect(formatter.format("DM bob hi you", time: "T") == ("[T] (direct) bob: hi you", .output))
    #expect(formatter.format("+OK HELLO alice", time: "T") == ("joined as alice", .output))
    #expect(
      formatter.format("+OK TOPICS a:1 b.c:2", time: "T")
        == ("topics: a (1 subscriber), b.c (2 subscribers)", .output))
    #expect(
      formatter.format("+OK WHO alice:SUBSCRIBER:a,b bob:PUBLISHER:", time: "T")
        == ("connected: alice (subscriber on a,b), bob (publisher)", .output))
    #expect(formatter.format("-ERR nope", time: "T") == ("error: nope", .error))
  }

  @Test("server options parse, and mistakes are usage errors")
  func serverOptions() throws {
    let options = try ServerOptions(parsing: [
      "6000", "--quiet", "--token", "t", "--ping-interval", "2", "--max-clients", "10",
      "--max-subscriptions", "5", "--max-pending-kib", "64", "--max-line-bytes", "128",
    ])
    #expect(options.port == 6000)
    #expect(!options.configuration.showsMessages)
    #expect(options.configuration.brokerLimits.token == "t")
    #expect(options.configuration.pingInterval == .seconds(2))
    #expect(options.configuration.maximumClients == 10)
    #expect(options.configuration.brokerLimits.maximumSubscriptionsPerClient == 5)
    #expect(options.configuration.outboxLimits.maximumPendingBytes == 64 << 10)
    #expect(options.configuration.maximumLineLength == 128)
    for bad in [["--bogus"], ["1", "2"], ["--token"], ["--max-clients", "0"], ["x"]] {
      #expect(throws: ProtocolError.self) { _ = try ServerOptions(parsing: bad) }
    }
  }
}
