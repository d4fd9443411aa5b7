/// The sessions shown in Task3Topics/README.md.
extension Scenario {
  /// Publishers on two topics (`news`, `sports.football`) and subscribers on one topic
  /// (alice: `news`), on both (bob) and on a wildcard (carol: `sports.>`); a publish to a
  /// third topic that only the wildcard matches; `/topics`, `/who` and `/dm`; a subscriber's
  /// typed line; then everyone leaves and Ctrl-C stops the server.
  ///
  /// Every client is named with `--name`, and each terminal is named after its client.
  static let task3Topics = Scenario(name: "task3-topics") { run in
    let server = try run.startServer("task3-server")
    let alice = try joinBroker(run, server, "SUBSCRIBER", "news", named: "alice")
    let bob = try joinBroker(run, server, "SUBSCRIBER", "news,sports.football", named: "bob")
    let carol = try joinBroker(run, server, "SUBSCRIBER", "sports.>", named: "carol")
    let newsdesk = try joinBroker(run, server, "PUBLISHER", "news", named: "newsdesk")
    let stadium = try joinBroker(run, server, "PUBLISHER", "sports.football", named: "stadium")

    /// Types `typed` in `publisher` and waits until the server and every subscriber in
    /// `receivers` show `text` published on `topic`.
    func publish(
      _ typed: String, from publisher: Terminal, on topic: String, text: String,
      to receivers: [Terminal]
    ) throws {
      publisher.type(typed)
      try server.expect("\(publisher.name) -> \(topic): \(text)")
      for subscriber in receivers {
        try subscriber.expect("[\(topic)] \(publisher.name): \(text)")
      }
    }

    try publish(
      "rain expected tomorrow", from: newsdesk, on: "news", text: "rain expected tomorrow",
      to: [alice, bob])
    try publish(
      "goal! 1-0", from: stadium, on: "sports.football", text: "goal! 1-0", to: [bob, carol])
    // A topic named at run time with /pub: only carol's wildcard matches it.
    try publish(
      "/pub sports.tennis match point", from: stadium, on: "sports.tennis", text: "match point",
      to: [carol])

    bob.type("/topics")
    try bob.expect("topics: ")
    carol.type("/who")
    try carol.expect("connected: ")
    carol.type("/dm newsdesk any tennis news?")
    try carol.expect("sent to newsdesk")
    try newsdesk.expect("(direct) carol: any tennis news?")
    try server.expect("carol -> newsdesk (direct): any tennis news?")
    alice.type("is anyone covering tennis?")
    try server.expect("alice says: is anyone covering tennis?")

    for client in [newsdesk, stadium, alice, bob, carol] { try leaveBroker(client, server) }
    server.pressControlC()
    try server.expect("shutting down: telling 0 clients")
    try server.expectExit()
  }

  /// Starts a `task3-client` named `name` with `role` on `topics` and waits until both sides
  /// show the join and, for a subscriber, every subscription.
  private static func joinBroker(
    _ run: ScenarioRun, _ server: Terminal, _ role: String, _ topics: String, named name: String
  ) throws -> Terminal {
    let arguments = [role, topics, "--name", name]
    // A shell would take `>` for a redirection and `*` for a file pattern, so a topic list
    // holding a wildcard is shown quoted, as a student must type it.
    let client: Terminal
    if topics.contains(where: { "*>".contains($0) }) {
      let port = try serverPort(of: server)
      client = try run.start(
        "task3-client", named: name, arguments: ["localhost", port] + arguments,
        shownArguments: ["localhost", port, role, "'\(topics)'", "--name", name])
    } else {
      client = try run.startClient(
        "task3-client", named: name, connectingTo: server, extraArguments: arguments)
    }
    try client.expect("joined as \(name)")
    try server.expect("\(name) joined from")
    if role == "SUBSCRIBER" {
      for topic in topics.split(separator: ",") {
        try client.expect("subscribed to \(topic)")
        try server.expect("\(name) subscribed to \(topic)")
      }
    }
    return client
  }

  /// The real port `server` reported (`listening on port N`); transcripts show it as 5000.
  private static func serverPort(of server: Terminal) throws -> String {
    guard let match = server.transcript.firstMatch(of: /listening on port (\d+)/) else {
      throw ScenarioFailure("\(server.name) has not reported its port")
    }
    return String(match.output.1)
  }

  /// Types `terminate` in `client` and waits until it has exited and the server shows it
  /// leaving.
  private static func leaveBroker(_ client: Terminal, _ server: Terminal) throws {
    client.type("terminate")
    try client.expect("disconnected")
    try client.expectExit()
    try server.expect("\(client.name) sent terminate; left")
  }
}
