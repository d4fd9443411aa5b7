/// The sessions shown in Task1Echo/README.md.
extension Scenario {
  /// One client types two lines and `terminate`; then Ctrl-C stops the server.
  static let task1Basic = Scenario(name: "task1-basic") { run in
    let server = try run.startServer("task1-server")
    let client = try run.startClient("task1-client", connectingTo: server)
    try client.expect("connected to")
    try server.expect("connected")
    for line in ["hello, server", "how are you?"] {
      client.type(line)
      try client.expect("echo: \(line)")
      try server.expect(line)
    }
    client.type("terminate")
    try client.expectExit()
    try server.expect("sent terminate; disconnected")
    server.pressControlC()
    try server.expect("shutting down")
    try server.expectExit()
  }

  /// A second client connects while the first is being served: its line reaches the server
  /// only after the first client leaves.
  static let task1SecondClientWaits = Scenario(name: "task1-second-client-waits") { run in
    let server = try run.startServer("task1-server")
    let first = try run.startClient("task1-client", named: "first-client", connectingTo: server)
    try first.expect("connected to")
    first.type("I am the first client")
    try first.expect("echo: I am the first client")
    try server.expect("I am the first client")

    let second = try run.startClient("task1-client", named: "second-client", connectingTo: server)
    try second.expect("connected to")
    second.type("I am the second client")
    // The server is still busy with the first client: it echoes the first client's next line
    // while the second client's line waits, unread, in the kernel.
    first.type("still only me")
    try first.expect("echo: still only me")
    try server.expect("still only me")

    first.type("terminate")
    try first.expectExit()
    try server.expect("sent terminate; disconnected")
    try server.expect("I am the second client")
    try second.expect("echo: I am the second client")
    second.type("terminate")
    try second.expectExit()
    try server.expect("sent terminate; disconnected")
    server.pressControlC()
    try server.expect("shutting down")
    try server.expectExit()
  }
}
