import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Fetches `/api/state` from a live view over a raw socket and returns its `nodes`.
private func nodes(viewPort: UInt16) throws -> [[String: Any]] {
  let socket = try LineSocket(port: viewPort)
  try socket.send("GET /api/state HTTP/1.1\r\nHost: localhost\r\n\r")
  let body = try #require(try socket.readToEnd().last)
  let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
  return object?["nodes"] as? [[String: Any]] ?? []
}

@Suite("task4-broker live view", .timeLimit(.minutes(1)))
struct LiveViewNodesTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("--http shows each node's role, epoch and lag, and the backup going down")
  func nodesInTheView() throws {
    let primary = try TestServer(
      "task4-broker",
      extraArguments: ["--start-as", "primary", "--quiet", "--name", "alpha", "--http", "0"])
    let viewPort = try primary.waitForLiveView().port
    let backup = try TestServer(
      "task4-broker",
      extraArguments: ["--peer", "127.0.0.1:\(primary.port)", "--quiet", "--name", "beta"])
    try backup.program.waitForOutput(containing: "BACKUP of")
    var seen: [[String: Any]] = []
    try waitUntil("the primary's view to show its backup") {
      seen = try nodes(viewPort: viewPort)
      return seen.map { $0["role"] as? String } == ["primary", "backup"]
    }
    #expect(seen.first?["name"] as? String == "alpha")
    #expect(seen.first?["replicationLagMessages"] as? Int == 0)
    #expect((seen.first?["epoch"] as? Int ?? 0) >= 1)
    backup.program.send(signal: SIGKILL)
    try waitUntil("the view to show the backup down") {
      seen = try nodes(viewPort: viewPort)
      return seen.last?["role"] as? String == "down"
    }
  }
}
