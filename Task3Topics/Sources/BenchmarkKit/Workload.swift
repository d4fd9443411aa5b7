/// A broker to measure: `name=protocol@host:port` on the command line.
public struct Target: Equatable, Sendable, Codable {
  /// The label in tables and charts (`task3`, `nats`).
  public var name: String
  /// The protocol it speaks.
  public var wireProtocol: WireProtocol
  /// Its host.
  public var host: String
  /// Its port.
  public var port: UInt16

  /// Creates a target.
  public init(name: String, wireProtocol: WireProtocol, host: String, port: UInt16) {
    self.name = name
    self.wireProtocol = wireProtocol
    self.host = host
    self.port = port
  }

  /// Parses `name=protocol@host:port`, for example `nats=nats@127.0.0.1:4222`.
  ///
  /// - Throws: `UsageError` naming what is wrong.
  public init(parsing text: String) throws(UsageError) {
    let problem = UsageError(
      "invalid target '\(text)': expected NAME=PROTOCOL@HOST:PORT with PROTOCOL one of "
        + WireProtocol.allCases.map(\.rawValue).joined(separator: ", "))
    guard let equals = text.firstIndex(of: "="), let at = text.lastIndex(of: "@"), equals < at,
      let colon = text[at...].lastIndex(of: ":")
    else { throw problem }
    let name = String(text[..<equals])
    let host = String(text[text.index(after: at)..<colon])
    guard !name.isEmpty, !host.isEmpty,
      let wireProtocol = WireProtocol(rawValue: String(text[text.index(after: equals)..<at])),
      let port = UInt16(text[text.index(after: colon)...]), port != 0
    else { throw problem }
    self.init(name: name, wireProtocol: wireProtocol, host: host, port: port)
  }
}

/// What the publishers and subscribers of one run do.
public struct Workload: Equatable, Sendable, Codable {
  /// Publisher connections; publisher j publishes on topic j mod `topics`.
  public var publishers: Int
  /// Subscriber connections; subscriber i subscribes to topic i mod `topics`.
  public var subscribers: Int
  /// Distinct topics.
  public var topics: Int
  /// Messages each publisher sends.
  public var messagesPerPublisher: Int
  /// Bytes in each payload.
  public var payloadSize: Int
  /// Closed loop: the most messages a publisher keeps in flight beyond the slowest subscriber
  /// of its topic. It keeps every broker inside its buffers, so a fast result cannot come from
  /// dropping messages, and the run measures throughput rather than queue growth.
  public var window: Int
  /// Open loop: messages per second per publisher, for latency runs; `nil` for closed loop.
  public var rate: Int?

  /// Creates a workload.
  public init(
    publishers: Int, subscribers: Int, topics: Int, messagesPerPublisher: Int,
    payloadSize: Int = 128, window: Int = 2_000, rate: Int? = nil
  ) {
    self.publishers = publishers
    self.subscribers = subscribers
    self.topics = topics
    self.messagesPerPublisher = messagesPerPublisher
    self.payloadSize = payloadSize
    self.window = window
    self.rate = rate
  }

  /// The topic of subscriber or publisher `index`.
  public func topic(of index: Int) -> Int { index % topics }

  /// The publishers whose messages subscriber `subscriber` is owed, in index order.
  public func publishers(reaching subscriber: Int) -> [Int] {
    let topic = topic(of: subscriber)
    return stride(from: topic, to: publishers, by: topics).map { $0 }
  }

  /// The subscribers publisher `publisher` reaches, in index order.
  public func subscribers(reachedBy publisher: Int) -> [Int] {
    let topic = topic(of: publisher)
    return stride(from: topic, to: subscribers, by: topics).map { $0 }
  }

  /// The deliveries owed in total.
  public var expectedDeliveries: Int {
    (0..<subscribers).reduce(0) { $0 + publishers(reaching: $1).count } * messagesPerPublisher
  }

  /// Checks the numbers make a run.
  ///
  /// - Throws: `UsageError` for the first that does not.
  public func validate() throws(UsageError) {
    if publishers < 1 || subscribers < 1 || topics < 1 {
      throw UsageError("publishers, subscribers and topics must each be at least 1")
    }
    if publishers > 0x1_0000 { throw UsageError("at most 65536 publishers") }
    if messagesPerPublisher < 1 || messagesPerPublisher > 0xFFFF_FFFF {
      throw UsageError("messages per publisher must be 1 to 4294967295")
    }
    if !(PayloadFormat.minimumSize...PayloadFormat.maximumSize).contains(payloadSize) {
      throw UsageError(
        "payload size must be \(PayloadFormat.minimumSize) to \(PayloadFormat.maximumSize) bytes"
      )
    }
    if window < 1 { throw UsageError("window must be at least 1") }
    if let rate, rate < 1 || rate > 10_000_000 {
      throw UsageError("rate must be 1 to 10000000 messages per second")
    }
  }

  /// One line describing the workload: `1 pub -> 10 sub, 1 topic, 200000 msgs x 128 B, ...`.
  public var summary: String {
    let pacing = rate.map { "\($0) msg/s per publisher" } ?? "window \(window)"
    return
      "\(publishers) pub -> \(subscribers) sub, \(topics) topic\(topics == 1 ? "" : "s"), "
      + "\(messagesPerPublisher) msgs x \(payloadSize) B per pub, \(pacing)"
  }
}

/// The scenarios of issue 6: 128-byte payloads, window 2,000.
public enum Scenario: String, CaseIterable, Sendable, Codable {
  /// Fan-out: 1 publisher, 10 subscribers, 1 topic.
  case a = "A"
  /// A pipe: 1 publisher, 1 subscriber.
  case b = "B"
  /// Many streams: 10 publishers on 10 topics, one subscriber each.
  case c = "C"
  /// Latency: 5,000 msg/s from 1 publisher to 10 subscribers.
  case d = "D"
  /// Wide fan-out: 1 publisher, 100 subscribers.
  case e = "E"
  /// Scale: 1 publisher, 1,000 subscribers.
  case f = "F"

  /// The preset. Message counts make each closed-loop run 10 million deliveries (3 million
  /// for B, 5 million for C): over a second even for a broker delivering 8 million a
  /// second, so start-up and the 10 ms resolution of CPU readings are lost in the total, and
  /// short enough to repeat. D runs for 5 seconds.
  public var workload: Workload {
    switch self {
    case .a: Workload(publishers: 1, subscribers: 10, topics: 1, messagesPerPublisher: 1_000_000)
    case .b: Workload(publishers: 1, subscribers: 1, topics: 1, messagesPerPublisher: 3_000_000)
    case .c: Workload(publishers: 10, subscribers: 10, topics: 10, messagesPerPublisher: 500_000)
    case .d:
      Workload(
        publishers: 1, subscribers: 10, topics: 1, messagesPerPublisher: 25_000, rate: 5_000)
    case .e: Workload(publishers: 1, subscribers: 100, topics: 1, messagesPerPublisher: 100_000)
    case .f: Workload(publishers: 1, subscribers: 1_000, topics: 1, messagesPerPublisher: 10_000)
    }
  }

  /// What the scenario measures, for table headings.
  public var purpose: String {
    switch self {
    case .a: "fan-out 1 -> 10"
    case .b: "one pipe 1 -> 1"
    case .c: "10 topics, 10 -> 10"
    case .d: "latency at 5,000 msg/s, 1 -> 10"
    case .e: "fan-out 1 -> 100"
    case .f: "scale 1 -> 1,000"
    }
  }

  /// Whether the scenario is judged by latency rather than throughput.
  public var measuresLatency: Bool { self == .d }
}

/// A command-line mistake, said in one line.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The message.
  public let description: String

  /// Creates an error with `description`.
  public init(_ description: String) {
    self.description = description
  }
}
