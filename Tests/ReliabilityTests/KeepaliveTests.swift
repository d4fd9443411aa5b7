import Foundation
import Task1Echo
import TestSupport
import Testing

/// Starts a `task3-client` and waits until it has joined (and subscribed, for a subscriber).
/// Real clients answer the server's `PING`s, so they are the honest pair where keepalive is
/// fast enough to drop a raw socket that does not.
private func startClient(_ server: TestServer, _ role: String, name: String) throws
  -> RunningProgram
{
  let client = try server.startClient("task3-client", [role, "honest", "--name", name])
  try client.waitForOutput(containing: role == "SUBSCRIBER" ? "subscribed to honest" : "joined as")
  return client
}

@Suite("Keepalive and the hello timeout", .timeLimit(.minutes(1)))
struct KeepaliveTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("a half line left hanging, lone CRs or silence: pinged, then dropped with the reason")
  func silentClientsAreDropped() throws {
    let server = try TestServer("task3-server", extraArguments: ["--ping-interval", "1"])
    let subscriber = try startClient(server, "SUBSCRIBER", name: "honest-sub")
    let publisher = try startClient(server, "PUBLISHER", name: "honest-pub")
    let halfLine = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=half-line")
    try halfLine.send(bytes: Array("PUB honest this half line must not be delivered".utf8))
    let carriageReturns = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=crs")
    try carriageReturns.send(bytes: Array("\r\r\r".utf8))
    let silent = try joinedSocket(port: server.port, hello: "HELLO SUBSCRIBER name=silent")
    let started = ContinuousClock.now
    for socket in [halfLine, carriageReturns, silent] {
      #expect(
        readUntilEnd(socket)
          == .closed(lines: ["PING", "-ERR no PONG within 1.0 seconds; disconnecting"]))
    }
    // Pinged after 1 s of silence, dropped 1 s later, checked by a sweep every 0.25 s.
    #expect(ContinuousClock.now - started < .seconds(4))
    for name in ["half-line", "crs", "silent"] {
      try server.program.waitForOutput(containing: "\(name) disconnected: no PONG")
    }
    // The honest clients answered their pings and are still served.
    publisher.type("still here")
    try subscriber.waitForOutput(containing: "honest-pub: still here")
    #expect(!subscriber.output.contains("half line"))
    #expect(subscriber.isRunning && publisher.isRunning)
  }

  @Test("no hello, or half a hello, within the hello timeout: told and closed")
  func helloTimeout() throws {
    // `task3-server` has no option for the hello timeout (30 s); in process it can be 1 s.
    let broker = try InProcessBroker { $0.helloTimeout = .seconds(1) }
    defer { broker.stop() }
    let pair = try HonestPair(port: broker.port)
    let mute = try LineSocket(port: broker.port)
    let halfHello = try LineSocket(port: broker.port)
    try halfHello.send(bytes: Array("HELLO PUBL".utf8))
    let started = ContinuousClock.now
    for socket in [mute, halfHello] {
      #expect(readUntilEnd(socket) == .closed(lines: ["-ERR no HELLO within 1.0 seconds"]))
    }
    #expect(ContinuousClock.now - started < .seconds(3))
    try pair.check(after: "two connections timed out before their hello")
  }
}
