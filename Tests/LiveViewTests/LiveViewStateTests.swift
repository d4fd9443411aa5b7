import Foundation
import Task1Echo
import Task2Roles
import Task3Topics
import Testing

#if canImport(Glibc)
  import Glibc
#endif

private let sampleState = LiveViewState(
  server: .init(name: "task3-server", port: 5000, uptimeMilliseconds: 8120, showsMessages: false),
  totals: .init(
    clients: 2, topics: 1, messagesIn: 7, messagesOut: 14, inPerSecond: 3, outPerSecond: 6),
  clients: [
    .init(number: 1, name: "sam", role: "subscriber", peer: "127.0.0.1:50312", topics: ["news"]),
    .init(number: 2, name: "pat", role: "publisher", peer: "127.0.0.1:50313", topics: []),
  ],
  topics: [.init(filter: "news", subscribers: 1)],
  activity: [.init(sequence: 1, time: "14:03:27.041", kind: .slowConsumer, text: "x")])

/// Decodes `bytes` as a JSON object.
private func object(_ bytes: [UInt8]) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

/// A client connection for a `Broker` in a unit test: one end of a socket pair, never started.
private func makeOutbox() throws -> Outbox {
  var descriptors: [Int32] = [0, 0]
  #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0)
  _ = Socket(adopting: descriptors[1])  // the other end, closed at once
  let peer = try SocketAddress.resolve(host: "127.0.0.1", port: 40_000)[0]
  return Outbox(connection: Connection(socket: Socket(adopting: descriptors[0]), peer: peer))
}

@Suite("Live view state")
struct LiveViewStateTests {
  @Test("the JSON has the field names the page reads, with sorted keys and no nodes")
  func fieldNames() throws {
    let json = try object(LiveView.encode(sampleState))
    #expect(
      json.keys.sorted() == [
        "activity", "clients", "rates", "server", "topicRates", "topics", "totals",
      ])
    let server = try #require(json["server"] as? [String: Any])
    #expect(server["name"] as? String == "task3-server")
    #expect(server["uptimeMilliseconds"] as? Int == 8120)
    #expect(server["showsMessages"] as? Bool == false)
    let totals = try #require(json["totals"] as? [String: Any])
    #expect(
      totals.keys.sorted() == [
        "clients", "inPerSecond", "messagesIn", "messagesOut", "outPerSecond", "topics",
      ])
    let clients = try #require(json["clients"] as? [[String: Any]])
    #expect(clients.map { $0["name"] as? String } == ["sam", "pat"])
    #expect(clients[0]["topics"] as? [String] == ["news"])
    #expect(clients[0]["role"] as? String == "subscriber")
    let event = try #require((json["activity"] as? [[String: Any]])?.first)
    #expect(event["kind"] as? String == "slow-consumer")
    let text = String(decoding: LiveView.encode(sampleState), as: UTF8.self)
    #expect(text.hasPrefix(#"{"activity":[{"kind":"slow-consumer","sequence":1,"#))
    #expect(!text.contains("\n"))  // one `data:` line per event
  }

  @Test("rates are sampled at most once a second, and only the newest are kept")
  func rateHistory() {
    let history = RateHistory(capacity: 3)
    func record(_ inPerSecond: Int, at uptime: Int) -> [LiveViewState.RateSample] {
      let totals = LiveViewState.Totals(
        clients: 0, topics: 0, messagesIn: 0, messagesOut: 0, inPerSecond: inPerSecond,
        outPerSecond: 2 * inPerSecond)
      return history.record(totals, atUptime: uptime)
    }
    #expect(record(10, at: 0).map(\.inPerSecond) == [10])
    // Too soon: the broker measures its rates once a second.
    #expect(record(11, at: 999).map(\.inPerSecond) == [10])
    #expect(record(12, at: 1000).map(\.inPerSecond) == [10, 12])
    #expect(record(13, at: 2500).map(\.inPerSecond) == [10, 12, 13])
    let latest = record(14, at: 3600)
    #expect(latest.map(\.uptimeMilliseconds) == [1000, 2500, 3600])
    #expect(latest.last == .init(uptimeMilliseconds: 3600, inPerSecond: 14, outPerSecond: 28))
  }

  @Test("a replicated broker's nodes appear, with only the lags it measured")
  func nodes() throws {
    var state = sampleState
    state.nodes = [
      .init(
        name: "a", address: "127.0.0.1:5001", role: "primary", epoch: 3, isServingThisView: true),
      .init(
        name: "b", address: "127.0.0.1:5002", role: "backup", epoch: 3, replicationLagMessages: 12),
    ]
    let nodes = try #require(try object(LiveView.encode(state))["nodes"] as? [[String: Any]])
    #expect(nodes.count == 2)
    #expect(nodes[0]["replicationLagMessages"] == nil)
    #expect(nodes[0]["isServingThisView"] as? Bool == true)
    #expect(nodes[1]["replicationLagMessages"] as? Int == 12)
    #expect(nodes[1]["replicationLagMilliseconds"] == nil)
    #expect(nodes[1]["epoch"] as? Int == 3)
    let decoded = try JSONDecoder().decode(LiveViewState.self, from: Data(LiveView.encode(state)))
    #expect(decoded == state)
  }

  @Test("a snapshot of a broker lists its clients, their filters and the topic counts")
  func snapshotOfABroker() throws {
    let broker = Broker()
    let sam = try broker.join(
      BrokerHello(role: .subscriber, name: "sam"), number: 1,
      peer: try SocketAddress.resolve(host: "127.0.0.1", port: 40_001)[0], outbox: makeOutbox())
    let sue = try broker.join(
      BrokerHello(role: .subscriber, name: "sue"), number: 2,
      peer: try SocketAddress.resolve(host: "127.0.0.1", port: 40_002)[0], outbox: makeOutbox())
    _ = try broker.join(
      BrokerHello(role: .publisher), number: 3,
      peer: try SocketAddress.resolve(host: "127.0.0.1", port: 40_003)[0], outbox: makeOutbox())
    try broker.subscribe(sam, to: "news")
    try broker.subscribe(sam, to: "sports.>")
    try broker.subscribe(sue, to: "news")
    let feed = ActivityFeed()
    feed.record(time: "t", message: "sam joined from 127.0.0.1:40001 as SUBSCRIBER")
    let server = LiveViewState.Server(
      name: "test", port: 1, uptimeMilliseconds: 0, showsMessages: false)

    let state = LiveViewState(broker: broker, activity: feed, server: server)
    #expect(state.clients.map(\.name) == ["sam", "sue", "publisher-3"])
    #expect(state.clients.map(\.role) == ["subscriber", "subscriber", "publisher"])
    #expect(state.clients[0].topics == ["news", "sports.>"])
    #expect(state.clients[0].peer == "127.0.0.1:40001")
    #expect(state.topics.map(\.filter) == ["news", "sports.>"])
    #expect(state.topics.map(\.subscribers) == [2, 1])
    #expect(state.totals.clients == 3)
    #expect(state.totals.topics == 2)
    #expect(state.activity.map(\.kind) == [.join])

    let limited = LiveViewState(
      broker: broker, activity: feed, server: server, clientLimit: 2, topicLimit: 1)
    #expect(limited.clients.map(\.name) == ["sam", "sue"])
    #expect(limited.topics.map(\.filter) == ["news"])
    #expect(limited.totals.clients == 3)
  }
}

@Suite("Live view routes")
struct LiveViewRouteTests {
  private func reply(_ target: String) -> HTTPResponder.Reply {
    LiveView.reply(to: HTTPRequest(method: "GET", target: target), state: { sampleState })
  }

  private func response(_ target: String) throws -> HTTPResponse {
    guard case .response(let response) = reply(target) else {
      Issue.record("expected a complete response for \(target)")
      throw CancellationError()
    }
    return response
  }

  @Test("/ is the page, /api/state the JSON, /events a stream; other paths are 404")
  func routes() throws {
    let page = try response("/")
    #expect(page.status == .ok)
    #expect(page.fields.contains(HTTPField("Content-Type", "text/html; charset=utf-8")))
    let html = String(decoding: page.body, as: UTF8.self)
    #expect(html.hasPrefix("<!doctype html>"))
    #expect(html.contains(#"{"filter":"news","subscribers":1}"#))
    let state = try response("/api/state?cache=1")
    #expect(state.fields.contains(HTTPField("Content-Type", "application/json")))
    #expect(state.body == LiveView.encode(sampleState))
    guard case .stream(let head, _) = reply("/events") else {
      Issue.record("/events is not a stream")
      return
    }
    #expect(head.fields.contains(HTTPField("Content-Type", "text/event-stream")))
    for missing in ["/index.html", "/API/STATE", "/events/", "/favicon.ico"] {
      #expect(try response(missing).status == .notFound)
    }
  }

  @Test("the page carries the state, and a topic cannot end the script element holding it")
  func embeddedState() throws {
    var state = sampleState
    state.topics = [.init(filter: "</script><script>alert(1)</script>", subscribers: 1)]
    let page = String(decoding: LiveViewPage.html(embedding: LiveView.encode(state)), as: UTF8.self)
    #expect(!page.contains("<script>alert"))
    let start = try #require(
      page.range(of: #"<script id="initial-state" type="application/json">"#))
    let json = page[start.upperBound...].prefix { $0 != "<" }
    let decoded = try JSONDecoder().decode(LiveViewState.self, from: Data(json.utf8))
    #expect(decoded == state)
  }

  @Test("the page loads nothing from elsewhere and never parses text as markup")
  func pageIsSelfContained() {
    let page = String(
      decoding: LiveViewPage.html(embedding: LiveView.encode(sampleState)), as: UTF8.self)
    #expect(!page.contains("src="))
    #expect(!page.contains("https:"))
    #expect(!page.contains("@import"))
    // Its only href is the empty icon, which stops the browser asking for /favicon.ico.
    #expect(page.components(separatedBy: "href=").count == 2)
    #expect(page.contains(#"href="data:,""#))
    #expect(!page.contains("innerHTML"))
    #expect(!page.contains("insertAdjacentHTML"))
    #expect(LiveViewPage.contentSecurityPolicy.hasPrefix("default-src 'none'"))
  }

  @Test("a loopback view refuses other host names and every method but GET")
  func hostAndMethodChecks() throws {
    let view = try LiveView(options: .init(port: 0)) { sampleState }
    defer { view.stop() }
    let listener = try Listener.bind(host: "127.0.0.1", port: 0)
    var configuration = HTTPResponder.Configuration()
    configuration.acceptedHostNames = ["localhost"]
    let responder = HTTPResponder(listener: listener, configuration: configuration) { _ in
      .response(.text(.ok, "fine"))
    }
    defer { responder.stop() }
    func status(_ method: String, host: String) -> Int? {
      let request = HTTPRequest(
        method: method, target: "/", fields: [HTTPField("Host", host)])
      guard case .response(let response) = responder.reply(to: request) else { return nil }
      return response.status.code
    }
    #expect(status("GET", host: "localhost:8080") == 200)
    #expect(status("GET", host: "attacker.example:8080") == 421)
    #expect(status("POST", host: "localhost") == 405)
    #expect(status("get", host: "localhost") == 405)  // methods are case-sensitive
    #expect(status("HEAD", host: "localhost") == 405)
    #expect(view.url == "http://127.0.0.1:\(view.port)/")
  }

  @Test("--http, --http-host and --http-show-messages parse; the last two need the first")
  func options() throws {
    #expect(try ServerOptions(parsing: []).liveView == nil)
    let plain = try #require(try ServerOptions(parsing: ["--http", "8080"]).liveView)
    #expect(plain == LiveView.Options(port: 8080, host: "127.0.0.1", showsMessages: false))
    #expect(plain.isLoopbackOnly)
    let open = try #require(
      try ServerOptions(
        parsing: ["--http-show-messages", "6000", "--http-host", "0.0.0.0", "--http", "0"]
      ).liveView)
    #expect(open == LiveView.Options(port: 0, host: "0.0.0.0", showsMessages: true))
    #expect(!open.isLoopbackOnly)
    #expect(throws: ProtocolError.self) { try ServerOptions(parsing: ["--http-host", "::1"]) }
    #expect(throws: ProtocolError.self) { try ServerOptions(parsing: ["--http-show-messages"]) }
    #expect(throws: ProtocolError.self) { try ServerOptions(parsing: ["--http", "70000"]) }
    #expect(throws: ProtocolError.self) { try ServerOptions(parsing: ["--http"]) }
  }
}
