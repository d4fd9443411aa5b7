import Foundation
import Task3Topics
import Testing

@Suite("Activity feed")
struct ActivityFeedTests {
  @Test(
    "the server's lines are classified by what happened",
    arguments: [
      ("sam joined from 127.0.0.1:50312 as SUBSCRIBER", ActivityFeed.Kind.join),
      ("sam subscribed to news", .subscription),
      ("sam unsubscribed from sports.>", .subscription),
      ("sam left", .leave),
      ("sam sent terminate; left", .leave),
      ("sam disconnected: no PONG within 30 seconds: presumed dead", .leave),
      ("127.0.0.1:50312 is a slow consumer: disconnecting it", .slowConsumer),
      ("sam disconnected: slow consumer (more than 4194304 bytes queued)", .slowConsumer),
      ("127.0.0.1:50400 refused: name 'sam' is already taken", .error),
      ("sam refused: not subscribed to news", .error),
      ("sam connection lost: connection reset by peer", .error),
      ("127.0.0.1:50401 no HELLO in time", .error),
      ("pat -> news: the text", .message),
      ("pat -> sam (direct): psst", .message),
      ("sam says: hello everyone", .message),
      ("shutting down: telling 2 clients", .other),
    ])
  func kinds(line: String, kind: ActivityFeed.Kind) {
    #expect(ActivityFeed.kind(of: line) == kind)
  }

  @Test("message lines are left out unless message texts are to be shown")
  func messagesHiddenByDefault() {
    let hiding = ActivityFeed()
    let showing = ActivityFeed(showsMessages: true)
    for feed in [hiding, showing] {
      feed.record(time: "10:00:00.000", message: "pat joined from 127.0.0.1:1 as PUBLISHER")
      feed.record(time: "10:00:00.001", message: "pat -> news: secret plans")
      feed.record(time: "10:00:00.002", message: "pat says: more secrets")
    }
    #expect(hiding.recent(10).map(\.kind) == [.join])
    #expect(showing.recent(10).map(\.text).last == "pat says: more secrets")
    #expect(showing.recent(10).count == 3)
  }

  @Test("the ring keeps the newest events in order, with their sequence numbers")
  func ringBuffer() {
    let feed = ActivityFeed(capacity: 4)
    #expect(feed.recent(10).isEmpty)
    for number in 1...10 {
      feed.record(time: "10:00:\(number)", message: "c\(number) left")
    }
    #expect(feed.recent(10).map(\.sequence) == [7, 8, 9, 10])
    #expect(feed.recent(2).map(\.text) == ["c9 left", "c10 left"])
    #expect(feed.recent(10).allSatisfy { $0.kind == .leave })
  }

  @Test("events recorded from many threads at once all get distinct sequence numbers")
  func concurrentRecording() {
    let feed = ActivityFeed(capacity: 1000)
    DispatchQueue.concurrentPerform(iterations: 8) { thread in
      for number in 0..<100 { feed.record(time: "t", message: "c\(thread)-\(number) left") }
    }
    let events = feed.recent(1000)
    #expect(events.count == 800)
    #expect(events.map(\.sequence) == Array(1...800))
    #expect(Set(events.map(\.text)).count == 800)
  }
}
