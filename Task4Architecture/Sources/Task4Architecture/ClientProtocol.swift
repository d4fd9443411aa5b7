import Task1Echo
import Task2Roles
import Task3Topics

/// The first line of a Task 4 client: Task 3's hello plus the options failover needs.
///
/// ```text
/// HELLO PUBLISHER [name=<n>] [token=<t>] [producer=<id>]
/// HELLO SUBSCRIBER [name=<n>] [token=<t>] [topics=<f,f,...>] [after=<index>|now] [durable=yes]
/// ```
/// Options may come in any order. A plain Task 3 hello is a valid Task 4 hello with none of
/// the new options, which is how `nc` and `task3-client` keep working.
public struct FailoverHello: Equatable, Sendable {
  /// Where a subscriber's stream starts.
  public enum StartPosition: Equatable, Sendable {
    /// After the newest committed entry: live messages only.
    case now
    /// After this index: everything retained since, then live.
    case after(UInt64)
  }

  /// The client's role.
  public var role: Role
  /// The name it asked for.
  public var name: String?
  /// The token it presented.
  public var token: String?
  /// A publisher's producer id, for deduplication.
  public var producer: String?
  /// A subscriber's filters, subscribed in the same step as the catch-up.
  public var topics: [String]
  /// Where a subscriber's stream starts; `nil` for a plain Task 3 subscriber (or a durable one
  /// resuming from its remembered position).
  public var start: StartPosition?
  /// Whether the broker should remember this named subscriber while it is away.
  public var isDurable: Bool

  /// Creates a hello.
  public init(
    role: Role, name: String? = nil, token: String? = nil, producer: String? = nil,
    topics: [String] = [], start: StartPosition? = nil, isDurable: Bool = false
  ) {
    self.role = role
    self.name = name
    self.token = token
    self.producer = producer
    self.topics = topics
    self.start = start
    self.isDurable = isDurable
  }

  /// Parses a hello line, checking that each option fits the role.
  ///
  /// - Throws: `ProtocolError` saying what is wrong.
  public init(parsing line: some Collection<UInt8>) throws(ProtocolError) {
    let words = String(lineBytes: line).split(separator: " ")
    var task3Words: [Substring] = Array(words.prefix(2))
    var producer: String?
    var topics: [String]?
    var start: StartPosition?
    var isDurable = false
    for word in words.dropFirst(2) {
      if word.hasPrefix("producer="), producer == nil {
        producer = String(word.dropFirst(9))
        guard Self.isValidProducer(producer!) else {
          throw ProtocolError("invalid producer id: use 1-64 letters, digits, '_', '-' or '.'")
        }
      } else if word.hasPrefix("topics="), topics == nil {
        let list = word.dropFirst(7).split(separator: ",", omittingEmptySubsequences: false)
        topics = list.map(String.init)
        for filter in topics! {
          if let problem = Topic.validateFilter(filter) {
            throw ProtocolError("invalid topic '\(filter)': \(problem)")
          }
        }
      } else if word.hasPrefix("after="), start == nil {
        let value = word.dropFirst(6)
        if value == "now" {
          start = .now
        } else if let index = UInt64(value) {
          start = .after(index)
        } else {
          throw ProtocolError("after= takes an index or 'now'")
        }
      } else if word == "durable=yes" {
        isDurable = true
      } else {
        task3Words.append(word)
      }
    }
    let task3 = try BrokerHello(parsing: Array(task3Words.joined(separator: " ").utf8))
    self.init(
      role: task3.role, name: task3.name, token: task3.token, producer: producer,
      topics: topics ?? [], start: start, isDurable: isDurable)
    switch role {
    case .publisher:
      if topics != nil || start != nil || isDurable {
        throw ProtocolError("topics=, after= and durable= are for subscribers")
      }
    case .subscriber:
      if producer != nil { throw ProtocolError("producer= is for publishers") }
      if isDurable && name == nil { throw ProtocolError("a durable subscriber needs a name=") }
    }
  }

  /// The line a client sends.
  public var line: String {
    var line = BrokerHello(role: role, name: name, token: token).line
    if let producer { line += " producer=\(producer)" }
    if !topics.isEmpty { line += " topics=\(topics.joined(separator: ","))" }
    switch start {
    case .now: line += " after=now"
    case .after(let index): line += " after=\(index)"
    case nil: break
    }
    if isDurable { line += " durable=yes" }
    return line
  }

  /// The Task 3 part, for the Task 3 broker's directory of names.
  public var task3Hello: BrokerHello {
    BrokerHello(role: role, name: name, token: token)
  }

  /// Whether deliveries carry the log index (`MSG <index> <topic> <sender> <text>`): for
  /// subscribers that asked for a position or durability, that is, Task 4 subscribers.
  public var wantsIndexes: Bool { start != nil || isDurable }

  /// Whether `id` can be a producer id: 1 to 64 of `A-Z a-z 0-9 _ - .`.
  public static func isValidProducer(_ id: String) -> Bool {
    BrokerHello.isValidIdentifier(id, maximumLength: 64)
  }
}

/// The commands Task 4 adds to Task 3's.
public enum FailoverCommand: Equatable, Sendable {
  /// `PUBSEQ <sequence> <topic> <text>`: publish with a sequence number, to be acknowledged.
  case publish(sequence: UInt64, topic: String, text: String)
  /// `ACK <index>`: a durable subscriber's read position.
  case acknowledge(index: UInt64)

  /// Parses `line` if it is a Task 4 command.
  ///
  /// - Returns: `nil` for any other line (a Task 3 command, parsed by `Command`).
  /// - Throws: `ProtocolError` for a Task 4 verb with wrong arguments.
  public static func parse(_ line: some Collection<UInt8>) throws(ProtocolError) -> Self? {
    let text = String(lineBytes: line)
    switch asciiUppercased(text.prefix { $0 != " " }) {
    case "PUBSEQ":
      let parts = text.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
      guard parts.count == 4, let sequence = UInt64(parts[1]), sequence > 0, !parts[2].isEmpty
      else { throw ProtocolError("usage: PUBSEQ <sequence from 1> <topic> <text>") }
      return .publish(sequence: sequence, topic: String(parts[2]), text: String(parts[3]))
    case "ACK":
      let parts = text.split(separator: " ")
      guard parts.count == 2, let index = UInt64(parts[1]) else {
        throw ProtocolError("usage: ACK <index>")
      }
      return .acknowledge(index: index)
    default:
      return nil
    }
  }

  /// The line to send.
  public var line: String {
    switch self {
    case .publish(let sequence, let topic, let text): "PUBSEQ \(sequence) \(topic) \(text)"
    case .acknowledge(let index): "ACK \(index)"
    }
  }
}

/// A line from a Task 4 broker, as a Task 4 client reads it.
public enum BrokerReply: Equatable, Sendable {
  /// `+OK HELLO <name> epoch=<e> [after=<index> expired=<n>]`: the broker serves this client.
  case joined(name: String, epoch: UInt64, after: UInt64?, expired: Int)
  /// `+ACK <sequence>`: the message and every earlier one of this publisher are committed.
  case acknowledged(sequence: UInt64)
  /// `MSG <index> <topic> <sender> <text>`: a delivery.
  case message(index: UInt64, topic: String, sender: String, text: String)
  /// `-ERR not primary ...`: try the next broker.
  case notPrimary
  /// `PING`: answer `PONG`.
  case ping
  /// Anything else: a reply to a command, an error, a direct message.
  case other(String)

  /// Reads one line.
  public init(parsing line: String) {
    if line == "PING" {
      self = .ping
    } else if line.hasPrefix(PeerMessage.notPrimary) {
      self = .notPrimary
    } else if line.hasPrefix("+ACK "), let sequence = UInt64(line.dropFirst(5)) {
      self = .acknowledged(sequence: sequence)
    } else if line.hasPrefix("MSG ") {
      let parts = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
      if parts.count == 5, let index = UInt64(parts[1]) {
        self = .message(
          index: index, topic: String(parts[2]), sender: String(parts[3]), text: String(parts[4]))
      } else {
        self = .other(line)
      }
    } else if line.hasPrefix("+OK HELLO ") {
      let words = line.split(separator: " ")
      var epoch: UInt64?
      var after: UInt64?
      var expired = 0
      for word in words.dropFirst(3) {
        if word.hasPrefix("epoch=") { epoch = UInt64(word.dropFirst(6)) }
        if word.hasPrefix("after=") { after = UInt64(word.dropFirst(6)) }
        if word.hasPrefix("expired=") { expired = Int(word.dropFirst(8)) ?? 0 }
      }
      if words.count >= 3, let epoch {
        self = .joined(name: String(words[2]), epoch: epoch, after: after, expired: expired)
      } else {
        self = .other(line)
      }
    } else {
      self = .other(line)
    }
  }
}

/// `text` with ASCII letters upper-cased and everything else left alone, or `nil` if it holds
/// anything but ASCII. Verbs are ASCII words: Unicode upper-casing would let `ſ` (long s) pass
/// for an S.
func asciiUppercased(_ text: Substring) -> String? {
  guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
  return String(
    decoding: text.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
}
