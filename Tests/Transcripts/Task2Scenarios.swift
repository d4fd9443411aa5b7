/// The sessions shown in Task2Roles/README.md.
extension Scenario {
  /// Three subscribers and two publishers: each published line reaches every subscriber; a
  /// subscriber's typed line is shown on the server only; everyone leaves with `terminate`;
  /// then Ctrl-C stops the server.
  ///
  /// Clients join one at a time, each waiting for its `+OK`, so the server numbers them in
  /// the order started: `subscriber-1` to `subscriber-3`, then `publisher-4` and
  /// `publisher-5`. Each terminal is named after its client.
  static let task2Roles = Scenario(name: "task2-roles") { run in
    let server = try run.startServer("task2-server")
    var subscribers: [Terminal] = []
    for number in 1...3 {
      subscribers.append(
        try joinRole(run, server, as: "SUBSCRIBER", named: "subscriber-\(number)"))
    }
    let publishers = try (4...5).map { number in
      try joinRole(run, server, as: "PUBLISHER", named: "publisher-\(number)")
    }

    /// Types `text` in `publisher` and waits until the server and every subscriber in
    /// `receivers` show it.
    func publish(_ text: String, from publisher: Terminal, to receivers: [Terminal]) throws {
      publisher.type(text)
      try server.expect("\(publisher.name): \(text)")
      for subscriber in receivers { try subscriber.expect("\(publisher.name): \(text)") }
    }

    try publish("hello, subscribers", from: publishers[0], to: subscribers)
    try publish("a second publisher here", from: publishers[1], to: subscribers)

    // A subscriber may type too; its line goes to the server's display and nowhere else.
    subscribers[1].type("can anyone hear me?")
    try server.expect("subscriber-2 (subscriber, not delivered): can anyone hear me?")

    try leaveRole(subscribers[2], server)
    try publish(
      "subscriber-3 has left; the others carry on", from: publishers[0],
      to: [
        subscribers[0], subscribers[1],
      ])
    for client in publishers + subscribers[0...1] { try leaveRole(client, server) }
    server.pressControlC()
    try server.expect("shutting down: telling 0 clients")
    try server.expectExit()
  }

  /// Starts a `task2-client` with `role` in a terminal named `name` (the name the server
  /// will give it) and waits until both sides show the join.
  private static func joinRole(
    _ run: ScenarioRun, _ server: Terminal, as role: String, named name: String
  ) throws -> Terminal {
    let client = try run.startClient(
      "task2-client", named: name, connectingTo: server, extraArguments: [role])
    try client.expect("joined as \(name)")
    try server.expect("\(name) joined from")
    return client
  }

  /// Types `terminate` in `client` and waits until it has exited and the server shows it
  /// leaving.
  private static func leaveRole(_ client: Terminal, _ server: Terminal) throws {
    client.type("terminate")
    try client.expect("disconnected")
    try client.expectExit()
    try server.expect("\(client.name) sent terminate; left")
  }
}
