import Foundation
import Task1Echo
import Task3Topics
import TestSupport
import Testing

/// A `task3-server` with its live view on free ports.
private final class ServerWithView {
  let server: TestServer
  /// The port of the live view, as the server printed it.
  let viewPort: UInt16
  /// The line announcing the view.
  let announcement: String

  init(_ extraArguments: [String] = []) throws {
    server = try TestServer("task3-server", extraArguments: ["--http", "0"] + extraArguments)
    (announcement, viewPort) = try server.waitForLiveView()
  }

  /// `GET /api/state`, decoded.
  func state() throws -> LiveViewState {
    let response = try get("/api/state", port: viewPort)
    #expect(response.status == 200)
    return try JSONDecoder().decode(LiveViewState.self, from: Data(response.body))
  }

  /// A raw protocol client that has joined (and subscribed to `filters`).
  func join(_ hello: String, subscribe filters: [String] = []) throws -> LineSocket {
    let socket = try LineSocket(port: server.port)
    try socket.send(hello)
    try socket.readLine(containing: "+OK HELLO")
    for filter in filters {
      try socket.send("SUB \(filter)")
      try socket.readLine(containing: "+OK subscribed to \(filter)")
    }
    return socket
  }
}

@Suite("Live view of task3-server", .timeLimit(.minutes(1)))
struct LiveViewProgramTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("/api/state lists the clients with role and topics, and the topics with counts")
  func stateShowsClientsAndTopics() throws {
    let view = try ServerWithView()
    #expect(view.announcement.contains("live view on http://127.0.0.1:\(view.viewPort)/"))
    let sam = try view.join("HELLO SUBSCRIBER name=sam", subscribe: ["news", "sports.>"])
    let sue = try view.join("HELLO subscriber name=sue", subscribe: ["news"])
    let pat = try view.join("HELLO PUBLISHER name=pat")
    defer { [sam, pat].forEach { $0.connection.close() } }

    var state = try view.state()
    #expect(state.server.name == "task3-server")
    #expect(state.server.port == Int(view.server.port))
    #expect(state.clients.map(\.name) == ["sam", "sue", "pat"])
    #expect(state.clients.map(\.role) == ["subscriber", "subscriber", "publisher"])
    #expect(state.clients.map(\.topics) == [["news", "sports.>"], ["news"], []])
    #expect(state.clients.allSatisfy { $0.peer.hasPrefix("127.0.0.1:") })
    #expect(
      state.topics == [
        .init(filter: "news", subscribers: 2), .init(filter: "sports.>", subscribers: 1),
      ])
    #expect(state.totals.clients == 3)
    #expect(state.totals.topics == 2)
    #expect(state.rates.count == 1)  // the first look takes the first sample
    #expect(try get("/", port: view.viewPort).text.contains(#""name":"sue""#))

    // The broker replies to QUIT after it has removed the client.
    try sue.send("QUIT")
    _ = try sue.readToEnd()
    state = try view.state()
    #expect(state.clients.map(\.name) == ["sam", "pat"])
    #expect(state.topics.first == .init(filter: "news", subscribers: 1))
  }

  @Test("only GET on known paths is served; everything else gets a proper HTTP error")
  func httpErrors() throws {
    let view = try ServerWithView()
    let port = view.viewPort
    let page = try get("/", port: port)
    #expect(page.status == 200)
    #expect(page.fields["content-type"] == "text/html; charset=utf-8")
    #expect(page.fields["content-security-policy"]?.hasPrefix("default-src 'none'") == true)
    #expect(page.text.contains("<title>"))
    let post = try exchange(
      "POST /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", port: port)
    #expect(post.status == 405)
    #expect(post.fields["allow"] == "GET")
    #expect(try exchange("DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n", port: port).status == 405)
    #expect(try get("/admin", port: port).status == 404)
    #expect(try exchange("GET /\r\n\r\n", port: port).status == 400)
    #expect(try exchange("GET / HTTP/1.1\r\n\r\n", port: port).status == 400)
    let tooLarge =
      "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: \(String(repeating: "c", count: 9000))\r\n\r\n"
    #expect(try exchange(tooLarge, port: port).status == 431)
    // A loopback view answers only to this machine's names (a guard against DNS rebinding).
    #expect(
      try exchange("GET /api/state HTTP/1.1\r\nHost: attacker.example\r\n\r\n", port: port).status
        == 421)
    #expect(try exchange("GET / HTTP/1.1\r\nHost: localhost:1\r\n\r\n", port: port).status == 200)
  }

  @Test("/events pushes the state again and again, so a new client shows up by itself")
  func eventStream() throws {
    let view = try ServerWithView()
    let events = try EventStreamReader(path: "/events", port: view.viewPort)
    defer { events.close() }
    #expect(events.statusLine == "HTTP/1.1 200 OK")
    #expect(events.headLines.contains("Content-Type: text/event-stream"))
    let first = try JSONDecoder().decode(
      LiveViewState.self, from: Data(try events.nextData().utf8))
    #expect(first.clients.isEmpty)
    let late = try view.join("HELLO SUBSCRIBER name=latecomer", subscribe: ["late.news"])
    defer { late.connection.close() }
    let update = try events.nextData(containing: #""name":"latecomer""#)
    let state = try JSONDecoder().decode(LiveViewState.self, from: Data(update.utf8))
    #expect(state.topics.map(\.filter) == ["late.news"])
  }

  @Test(
    "the activity feed shows joins and leaves but no message text unless asked to",
    arguments: [false, true])
  func activityAndPrivacy(showsMessages: Bool) throws {
    let view = try ServerWithView(showsMessages ? ["--http-show-messages"] : [])
    let sam = try view.join("HELLO SUBSCRIBER name=sam", subscribe: ["news"])
    let pat = try view.join("HELLO PUBLISHER name=pat")
    defer { [sam, pat].forEach { $0.connection.close() } }
    try pat.send("PUB news secret-one")
    try pat.send("DM sam secret-two")
    try sam.send("SAY secret-three")
    // A client's commands are handled in order, each logged before the next is read, so
    // once a later command is answered the lines above have reached the feed.
    for client in [pat, sam] {
      try client.send("TOPICS")
      try client.readLine(containing: "+OK TOPICS")
    }

    let texts = try view.state().activity.map(\.text)
    #expect(texts.contains { $0.hasPrefix("sam joined from 127.0.0.1:") })
    #expect(texts.contains { $0.hasPrefix("pat joined from 127.0.0.1:") })
    #expect(texts.contains("sam subscribed to news"))
    for secret in ["secret-one", "secret-two", "secret-three"] {
      #expect(texts.contains { $0.contains(secret) } == showsMessages, "\(secret)")
    }
    #expect(try view.state().server.showsMessages == showsMessages)

    pat.connection.close()
    try waitUntil("the feed to show pat leaving") {
      try view.state().activity.contains { $0.text == "pat left" && $0.kind == .leave }
    }
  }

  @Test("--http-host opens the view to other names; a taken view port is reported")
  func hostOptionAndTakenPort() throws {
    let open = try ServerWithView(["--http-host", "0.0.0.0"])
    #expect(open.announcement.contains("(open to the network)"))
    let response = try exchange(
      "GET /api/state HTTP/1.1\r\nHost: broker.classroom.example\r\n\r\n", port: open.viewPort)
    #expect(response.status == 200)

    let clash = try RunningProgram("task3-server", ["0", "--http", String(open.viewPort)])
    try clash.waitForErrorOutput(containing: "live view port \(open.viewPort) is already in use")
    #expect(try clash.waitForExit() != 0)
  }

  @Test("without --http nothing is served and nothing is announced")
  func noViewByDefault() throws {
    let server = try TestServer("task3-server")
    let client = try LineSocket(port: server.port)
    try client.send("HELLO SUBSCRIBER name=solo")
    try client.readLine(containing: "+OK HELLO")
    #expect(!server.program.output.contains("live view"))
  }
}
