import Task2Roles
import Task3Topics
import Task4Architecture
import Testing

@Suite("Task 4 wire protocol")
struct ProtocolTests {
  @Test(
    "peer lines survive a round trip",
    arguments: [
      PeerMessage.hello(
        PeerStatus(
          id: "broker-5000", epoch: 3, role: .backup, lastIndex: 42, isStarting: false,
          startsAsPrimary: true), port: 5000),
      .accepted(id: "b", epoch: 8),
      .refused(
        PeerStatus(
          id: "b", epoch: 0, role: .backup, lastIndex: 0, isStarting: true,
          startsAsPrimary: false)),
      .snapshot(lastIndex: 9, entries: 2, producers: 1, durables: 0),
      .replicate(
        LogEntry(
          index: 43, epoch: 7, topic: "news", sender: "alice",
          origin: .init(producer: "alice-7f3a", sequence: 12), text: "hello  world ")),
      .replicate(
        LogEntry(index: 44, epoch: 7, topic: "a.b", sender: "bob", origin: nil, text: "")),
      .producer(.init(id: "p-1", record: .init(sequence: 5, index: 40))),
      .position(DurablePosition(name: "s1", index: 40, filters: ["news", "sports.>"])),
      .position(DurablePosition(name: "s2", index: 0, filters: [])),
      .replicaAcknowledgement(43),
      .heartbeat(Heartbeat(epoch: 7, role: .primary, lastIndex: 44, commitIndex: 43)),
    ])
  func peerRoundTrip(message: PeerMessage) throws {
    #expect(try PeerMessage(parsing: message.line) == message)
  }

  @Test(
    "malformed peer lines are refused",
    arguments: [
      "REP 1 1 news", "RACK x", "HB 1 LEADER 1 1", "HELLO PEER id=a epoch=1", "SNAPSHOT last=1",
      "PING", "+OK PEER id=a",
    ])
  func peerErrors(line: String) {
    #expect(throws: ProtocolError.self) { try PeerMessage(parsing: line) }
  }

  @Test("a Task 4 hello carries the producer, topics, position and durability")
  func hello() throws {
    let publisher = try FailoverHello(
      parsing: Array("HELLO PUBLISHER name=alice producer=alice-7f3a".utf8))
    #expect(publisher.role == .publisher)
    #expect(publisher.producer == "alice-7f3a")
    let subscriber = try FailoverHello(
      parsing: Array("hello subscriber durable=yes topics=news,sports.> name=s1 after=42".utf8))
    #expect(subscriber.topics == ["news", "sports.>"])
    #expect(subscriber.start == .after(42))
    #expect(subscriber.isDurable)
    #expect(subscriber.wantsIndexes)
    #expect(try FailoverHello(parsing: Array(subscriber.line.utf8)) == subscriber)
    let plain = try FailoverHello(parsing: Array("HELLO SUBSCRIBER".utf8))
    #expect(!plain.wantsIndexes)
    #expect(try FailoverHello(parsing: Array("HELLO SUBSCRIBER after=now".utf8)).start == .now)
  }

  @Test(
    "a hello with options that do not fit is refused",
    arguments: [
      "HELLO PUBLISHER topics=news", "HELLO SUBSCRIBER producer=p", "HELLO SUBSCRIBER durable=yes",
      "HELLO SUBSCRIBER after=soon", "HELLO SUBSCRIBER topics=a..b", "HELLO PUBLISHER producer=a/b",
      "HELLO PUBLISHER colour=red",
    ])
  func badHello(line: String) {
    #expect(throws: ProtocolError.self) { try FailoverHello(parsing: Array(line.utf8)) }
  }

  @Test("PUBSEQ and ACK are parsed; other lines are left to Task 3's parser")
  func commands() throws {
    #expect(
      try FailoverCommand.parse(Array("PUBSEQ 7 news hello world".utf8))
        == .publish(sequence: 7, topic: "news", text: "hello world"))
    #expect(try FailoverCommand.parse(Array("ack 42".utf8)) == .acknowledge(index: 42))
    #expect(try FailoverCommand.parse(Array("PUB news hi".utf8)) == nil)
    // Verbs are ASCII: a long s (ſ) upper-cases to S, but PUBſEQ is not PUBSEQ.
    #expect(try FailoverCommand.parse(Array("PUBſEQ 1 news x".utf8)) == nil)
    #expect(
      try FailoverCommand.parse(Array("pubSeq 1 news x".utf8))
        == .publish(sequence: 1, topic: "news", text: "x"))
    #expect(throws: ProtocolError.self) { try FailoverCommand.parse(Array("PUBSEQ 0 news x".utf8)) }
    #expect(throws: ProtocolError.self) { try FailoverCommand.parse(Array("PUBSEQ 1 news".utf8)) }
    #expect(throws: ProtocolError.self) { try FailoverCommand.parse(Array("ACK".utf8)) }
  }

  @Test("a client reads the broker's replies")
  func replies() {
    #expect(
      BrokerReply(parsing: "+OK HELLO s1 epoch=8 after=42 expired=3")
        == .joined(name: "s1", epoch: 8, after: 42, expired: 3))
    #expect(
      BrokerReply(parsing: "+OK HELLO alice epoch=2")
        == .joined(name: "alice", epoch: 2, after: nil, expired: 0))
    #expect(BrokerReply(parsing: "+ACK 12") == .acknowledged(sequence: 12))
    #expect(
      BrokerReply(parsing: "MSG 43 news alice hi there")
        == .message(index: 43, topic: "news", sender: "alice", text: "hi there"))
    #expect(BrokerReply(parsing: "-ERR not primary id=b epoch=0") == .notPrimary)
    #expect(BrokerReply(parsing: "PING") == .ping)
    #expect(BrokerReply(parsing: "+OK subscribed to x") == .other("+OK subscribed to x"))
  }

  @Test("a snapshot is assembled from its lines in order, heartbeats left aside")
  func snapshotAssembly() {
    var assembler = SnapshotAssembler(lastIndex: 9, entries: 1, producers: 1, durables: 1)
    let entry = LogEntry(index: 9, epoch: 1, topic: "t", sender: "s", origin: nil, text: "x")
    let producer = Snapshot.Producer(id: "p", record: .init(sequence: 1, index: 9))
    let position = DurablePosition(name: "s1", index: 9, filters: ["t"])
    let beat = Heartbeat(epoch: 1, role: .primary, lastIndex: 9, commitIndex: 9)
    let taken = [
      assembler.add(.producer(producer)),  // too early: entries come first
      assembler.add(.replicate(entry)),
      assembler.add(.heartbeat(beat)),  // not part of a snapshot
      assembler.add(.producer(producer)),
    ]
    #expect(taken == [false, true, false, true])
    #expect(!assembler.isComplete)
    let last = assembler.add(.position(position))
    #expect(last)
    #expect(assembler.isComplete)
    #expect(
      assembler.snapshot
        == Snapshot(lastIndex: 9, entries: [entry], producers: [producer], durables: [position]))
  }
}

@Suite("The backup's side of the link")
struct ReplicationFollowerTests {
  private static func entry(_ index: UInt64) -> LogEntry {
    LogEntry(
      index: index, epoch: 1, topic: "news", sender: "alice",
      origin: .init(producer: "alice-1", sequence: index), text: "m\(index)")
  }

  @Test("copied entries count only after the snapshot; heartbeats pass through at any time")
  func snapshotThenEntries() {
    var follower = ReplicationFollower()
    let beat = Heartbeat(epoch: 2, role: .primary, lastIndex: 3, commitIndex: 3)
    let early = follower.take(.replicate(Self.entry(1)))
    #expect(early == .none)  // before the snapshot: not ours to apply
    let header = follower.take(.snapshot(lastIndex: 2, entries: 2, producers: 0, durables: 0))
    let first = follower.take(.replicate(Self.entry(1)))
    let heartbeat = follower.take(.heartbeat(beat))
    let last = follower.take(.replicate(Self.entry(2)))
    #expect(header == .none)
    #expect(first == .none)
    #expect(heartbeat == .heartbeat(beat))
    #expect(
      last
        == .install(
          Snapshot(
            lastIndex: 2, entries: [Self.entry(1), Self.entry(2)], producers: [], durables: [])))
    #expect(follower.isInSync)
    let live = follower.take(.replicate(Self.entry(3)))
    #expect(live == .append(Self.entry(3)))
  }

  @Test("an empty snapshot is complete at once")
  func emptySnapshot() {
    var follower = ReplicationFollower()
    let step = follower.take(.snapshot(lastIndex: 0, entries: 0, producers: 0, durables: 0))
    #expect(step == .install(Snapshot(lastIndex: 0, entries: [], producers: [], durables: [])))
  }

  /// A regression test: the backup once copied its half-built snapshot for every line, which
  /// made a 10,000-entry snapshot take most of a second and the link time out. At 50,000
  /// entries that mistake would take minutes; done right it takes a fraction of a second.
  @Test("a 50,000-entry snapshot is assembled in linear time")
  func largeSnapshot() {
    let count = 50_000
    let entries = (1...UInt64(count)).map(Self.entry)
    var follower = ReplicationFollower()
    let started = ContinuousClock.now
    var result = follower.take(
      .snapshot(lastIndex: UInt64(count), entries: count, producers: 0, durables: 0))
    for entry in entries { result = follower.take(.replicate(entry)) }
    let elapsed = ContinuousClock.now - started
    guard case .install(let snapshot) = result else {
      Issue.record("the snapshot never completed")
      return
    }
    #expect(snapshot.entries.count == count)
    #expect(elapsed < .seconds(10), "took \(elapsed)")
  }
}

@Suite("Publisher window and broker addresses")
struct ClientPartsTests {
  @Test("messages wait in the window until acknowledged; acknowledgements are cumulative")
  func window() {
    var window = PublishWindow(capacity: 3)
    for text in ["a", "b", "c"] { _ = window.add(topic: "news", text: text) }
    #expect(window.isFull)
    #expect(window.lines(after: 0) == ["PUBSEQ 1 news a", "PUBSEQ 2 news b", "PUBSEQ 3 news c"])
    #expect(window.lines(after: 2) == ["PUBSEQ 3 news c"])
    let removed = window.acknowledge(through: 2)
    let removedLate = window.acknowledge(through: 1)
    #expect(removed == 2)
    #expect(removedLate == 0)  // a late acknowledgement changes nothing
    #expect(window.oldestSequence == 3)
    let (sequence, line) = window.add(topic: "news", text: "d")
    #expect(sequence == 4)
    #expect(line == "PUBSEQ 4 news d")
    // What a failover re-sends:
    #expect(window.lines(after: 0) == ["PUBSEQ 3 news c", "PUBSEQ 4 news d"])
    window.acknowledge(through: 4)
    #expect(window.isEmpty)
  }

  @Test("broker lists parse host:port pairs in order, IPv6 in brackets")
  func addresses() throws {
    let list = try BrokerAddress.parseList("127.0.0.1:5000,localhost:5001,[::1]:5002")
    #expect(
      list == [
        BrokerAddress(host: "127.0.0.1", port: 5000), BrokerAddress(host: "localhost", port: 5001),
        BrokerAddress(host: "::1", port: 5002),
      ])
    #expect(list[2].description == "[::1]:5002")
    for bad in ["", "127.0.0.1", "a:0", "a:70000", "::1:5000", "a:1,a:1", "a:1,"] {
      #expect(throws: ProtocolError.self) { try BrokerAddress.parseList(bad) }
    }
  }

  @Test("task4-broker's arguments")
  func brokerOptions() throws {
    let options = try FailoverBrokerOptions(
      parsing: ["5001", "--peer", "127.0.0.1:5000", "--quiet", "--retain", "5"])
    #expect(options.port == 5001)
    #expect(options.peer == BrokerAddress(host: "127.0.0.1", port: 5000))
    #expect(!options.startsAsPrimary)
    #expect(options.isQuiet)
    #expect(options.retention.maximumMessages == 5)
    let primary = try FailoverBrokerOptions(parsing: ["0", "--start-as", "primary"])
    #expect(primary.startsAsPrimary)
    #expect(primary.peer == nil)
    for bad in [
      ["5001"], ["--peer", "x"], ["--start-as", "leader", "--peer", "a:1"], ["1", "2"],
    ] {
      #expect(throws: ProtocolError.self) { try FailoverBrokerOptions(parsing: bad) }
    }
  }

  @Test("task4-client's arguments")
  func clientOptions() throws {
    let options = try FailoverClientOptions(
      parsing: ["127.0.0.1:5000,127.0.0.1:5001", "subscriber", "news,sports.>", "--name", "s1"])
    #expect(options.addresses.count == 2)
    #expect(options.role == .subscriber)
    #expect(options.topics == ["news", "sports.>"])
    #expect(options.name == "s1")
    for bad in [
      ["127.0.0.1:5000", "PUBLISHER"], ["127.0.0.1:5000", "PUBLISHER", "sports.>"],
      ["127.0.0.1", "PUBLISHER", "news"], ["127.0.0.1:5000", "ADMIN", "news"],
    ] {
      #expect(throws: ProtocolError.self) { try FailoverClientOptions(parsing: bad) }
    }
  }
}
