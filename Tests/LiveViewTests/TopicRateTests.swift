import Foundation
import Task1Echo
import Task3Topics
import TestSupport
import Testing

@Suite("Per-topic rates")
struct TopicRateTests {
  init() { ignoreBrokenPipeSignal() }

  @Test("rates are the counters' growth per second between samples a second or more apart")
  func meterComputesRates() {
    let meter = TopicRateMeter(capacity: 3)
    let first = meter.record([("news", 10, 20)], atUptime: 0)
    #expect(first == [.init(topic: "news", inPerSecond: 0, outPerSecond: 0, recentIn: [])])
    // Less than a second later: the same rates again, no new sample.
    #expect(meter.record([("news", 500, 1000)], atUptime: 400) == first)
    let second = meter.record([("news", 410, 820), ("sports", 6, 0)], atUptime: 2000)
    #expect(
      second == [
        .init(topic: "news", inPerSecond: 200, outPerSecond: 400, recentIn: [200]),
        .init(topic: "sports", inPerSecond: 3, outPerSecond: 0, recentIn: [3]),
      ])
    var latest = second
    for step in 1...4 {
      latest = meter.record(
        [("news", 410 + step * 100, 820), ("sports", 6, 0)], atUptime: 2000 + step * 1000)
    }
    #expect(latest.first?.recentIn == [100, 100, 100])  // at most `capacity` samples
  }

  @Test("the broker counts each topic's messages and deliveries, shown in /api/state")
  func brokerCountsPerTopic() throws {
    let server = try TestServer("task3-server", extraArguments: ["--http", "0", "--quiet"])
    let viewPort = try server.waitForLiveView().port
    let subscribers = try (0..<2).map { _ in
      let socket = try LineSocket(port: server.port)
      try socket.send("HELLO SUBSCRIBER")
      try socket.readLine(containing: "+OK HELLO")
      try socket.send("SUB news")
      try socket.readLine(containing: "+OK subscribed")
      return socket
    }
    let publisher = try LineSocket(port: server.port)
    try publisher.send("HELLO PUBLISHER name=p")
    try publisher.readLine(containing: "+OK HELLO")
    try publisher.send(bytes: Array(String(repeating: "PUB news hello\n", count: 5).utf8))
    try publisher.send("PUB weather sunny")
    for subscriber in subscribers {
      for _ in 0..<5 { #expect(try subscriber.readLine() == "MSG news p hello") }
    }
    // The topics appear as soon as they are published on (their rates need a second sample).
    try waitUntil("both topics in topicRates") {
      let response = try get("/api/state", port: viewPort)
      let state = try JSONDecoder().decode(LiveViewState.self, from: Data(response.body))
      return state.topicRates.map(\.topic) == ["news", "weather"]
    }
  }
}
