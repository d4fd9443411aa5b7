import Foundation
import Task1Echo
import Task3Topics
import Testing

/// An `HTTPResponder` on 127.0.0.1 and a free port, serving on a thread of its own until the
/// object is released.
private final class RunningResponder {
  let responder: HTTPResponder
  var port: UInt16 { responder.listener.localPort }

  init(
    configuration: HTTPResponder.Configuration = .init(),
    handler: @escaping @Sendable (HTTPRequest) -> HTTPResponder.Reply = { request in
      .response(.text(.ok, "you asked for \(request.path)"))
    }
  ) throws {
    let listener = try Listener.bind(host: "127.0.0.1", port: 0)
    responder = HTTPResponder(listener: listener, configuration: configuration, handler: handler)
    Thread { [responder] in responder.run() }.start()
  }

  deinit { responder.stop() }
}

@Suite("HTTP responder over sockets", .timeLimit(.minutes(1)))
struct HTTPResponderTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("a request sent a few bytes at a time is answered, with Date and Connection: close")
  func trickledRequest() throws {
    let server = try RunningResponder()
    let connection = try Connection.connect(host: "127.0.0.1", port: server.port)
    defer { connection.close() }
    try connection.socket.setReceiveTimeout(.seconds(10))
    let request = Array("GET /hello?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    for start in stride(from: 0, to: request.count, by: 3) {
      try connection.sendAll(Array(request[start..<min(start + 3, request.count)]))
    }
    var received: [UInt8] = []
    while let bytes = try connection.receive() { received += bytes }
    let response = try ReceivedResponse(parsing: received)
    #expect(response.statusLine == "HTTP/1.1 200 OK")
    #expect(response.text == "you asked for /hello\n")
    #expect(response.fields["connection"] == "close")
    #expect(response.fields["content-length"] == "21")
    #expect(response.fields["date"]?.hasSuffix(" GMT") == true)
  }

  @Test("a refusal reaches the client intact even while it is still sending")
  func refusalWhileSending() throws {
    let server = try RunningResponder()
    // 40 KB of headers: the server stops reading at 16 KiB and answers 431. Closing with the
    // rest unread would reset the connection and could destroy the answer.
    let fields = (0..<80).map { "X-\($0): " + String(repeating: "v", count: 500) + "\r\n" }
    let huge = try exchange(
      "GET / HTTP/1.1\r\nHost: a\r\n" + fields.joined() + "\r\n", port: server.port)
    #expect(huge.status == 431)
    let post = try exchange(
      "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", port: server.port)
    #expect(post.status == 405)
    #expect(post.fields["allow"] == "GET")
    let garbage = try exchange("\u{16}\u{3}\u{1} hello\r\n", port: server.port)  // TLS-ish
    #expect(garbage.status == 400)
  }

  @Test("a client that never finishes its request gets 408 at the deadline")
  func requestTimeout() throws {
    var configuration = HTTPResponder.Configuration()
    configuration.requestTimeout = .milliseconds(300)
    let server = try RunningResponder(configuration: configuration)
    let response = try exchange("GET / HTTP/1.1\r\nHost: a\r\n", port: server.port)
    #expect(response.status == 408)
  }

  @Test("past the connection limit a client gets 503 at once")
  func connectionLimit() throws {
    var configuration = HTTPResponder.Configuration()
    configuration.maximumConnections = 1
    let server = try RunningResponder(configuration: configuration)
    // Holds the only slot: accepted first, then silent.
    let holder = try Connection.connect(host: "127.0.0.1", port: server.port)
    defer { holder.close() }
    // This client sends nothing: the refusal is sent on the accepting thread, which does not
    // wait to read a request first.
    let refused = try exchange([], port: server.port)
    #expect(refused.status == 503)
  }

  @Test("a view of one node of a replicated group serves the group's nodes too")
  func nodesOfAReplicatedBroker() throws {
    let view = try LiveView(
      options: .init(port: 0), broker: Broker(), activity: ActivityFeed(),
      serverName: "task4-broker", brokerPort: 5001,
      nodes: {
        [
          .init(
            name: "a", address: "127.0.0.1:5001", role: "primary", epoch: 2,
            isServingThisView: true),
          .init(
            name: "b", address: "127.0.0.1:5002", role: "backup", epoch: 2,
            replicationLagMessages: 3, replicationLagMilliseconds: 40),
        ]
      })
    view.start()
    defer { view.stop() }
    let response = try get("/api/state", port: view.port)
    let state = try JSONDecoder().decode(LiveViewState.self, from: Data(response.body))
    #expect(state.server.name == "task4-broker")
    #expect(state.server.port == 5001)
    #expect(state.nodes?.map(\.role) == ["primary", "backup"])
    #expect(state.nodes?.last?.replicationLagMilliseconds == 40)
    #expect(state.clients.isEmpty)
  }

  @Test("stopping the responder ends an open stream")
  func stopEndsStreams() throws {
    let server = try RunningResponder { _ in
      .stream(head: HTTPResponse(status: .ok)) { stream in
        repeat {
          guard stream.send(Array("data: tick\n\n".utf8)) else { return }
        } while stream.pause(for: .milliseconds(50))
      }
    }
    let reader = try EventStreamReader(path: "/", port: server.port)
    defer { reader.close() }
    #expect(reader.statusLine == "HTTP/1.1 200 OK")
    #expect(try reader.nextData() == "tick")
    #expect(try reader.nextData() == "tick")
    server.responder.stop()
    #expect(try reader.endsWithin(.seconds(5)))
  }
}
