import Task2Roles
import Task3Topics

/// The command line of `task4-broker`.
public struct FailoverBrokerOptions: Sendable {
  /// The port to listen on.
  public var port: UInt16 = 5000
  /// The node's name; by default `broker-<port>` once the port is known.
  public var name: String?
  /// The peer's address.
  public var peer: BrokerAddress?
  /// Whether to start as primary.
  public var startsAsPrimary = false
  /// Whether to hide each message from the display.
  public var isQuiet = false
  /// The history kept per topic.
  public var retention = RetentionLimits.standard
  /// The token clients must present.
  public var token: String?

  /// The usage text.
  public static let usage = """
    usage: task4-broker [PORT] --peer HOST:PORT [--start-as primary|backup] [options]
      One node of a primary/backup pair on PORT (default 5000; 0 = any free port). Start one
      node with --start-as primary and the other as backup (the default), each naming the
      other with --peer. A node started as primary may leave out --peer: it learns the address
      from the backup that joins. Ctrl-C stops it.
      --name NAME       the node's name in the pair (default broker-PORT)
      --quiet           do not show each message (roles, joins and failures still shown)
      --retain N        messages kept per topic for returning subscribers (default 10000)
      --retain-mib N    MiB kept per topic (default 64)
      --token TOKEN     clients must present TOKEN
    """

  /// Parses `arguments` (without the program name).
  ///
  /// - Throws: `ProtocolError` with the message for a usage error.
  public init(parsing arguments: [String]) throws(ProtocolError) {
    var positional: [String] = []
    var index = 0
    func value(_ option: String) throws(ProtocolError) -> String {
      index += 1
      guard index < arguments.count else { throw ProtocolError("\(option) needs a value") }
      return arguments[index]
    }
    func count(_ option: String) throws(ProtocolError) -> Int {
      let text = try value(option)
      guard let number = Int(text), (1...1_000_000_000).contains(number) else {
        throw ProtocolError("\(option) expects a positive number, not '\(text)'")
      }
      return number
    }
    var messages = RetentionLimits.standard.maximumMessages
    var bytes = RetentionLimits.standard.maximumBytes
    while index < arguments.count {
      let argument = arguments[index]
      switch argument {
      case "--peer": peer = try BrokerAddress(parsing: try value(argument))
      case "--start-as":
        switch try value(argument).lowercased() {
        case "primary": startsAsPrimary = true
        case "backup": startsAsPrimary = false
        case let other: throw ProtocolError("--start-as takes primary or backup, not '\(other)'")
        }
      case "--name":
        let text = try value(argument)
        guard BrokerHello.isValidName(text) else {
          throw ProtocolError("invalid name '\(text)': use 1-32 letters, digits, '_', '-' or '.'")
        }
        name = text
      case "--quiet": isQuiet = true
      case "--retain": messages = try count(argument)
      case "--retain-mib": bytes = min(try count(argument), 1 << 20) << 20
      case "--token": token = try value(argument)
      default:
        if argument.hasPrefix("-") { throw ProtocolError("unknown option '\(argument)'") }
        positional.append(argument)
      }
      index += 1
    }
    retention = RetentionLimits(maximumMessages: messages, maximumBytes: bytes)
    guard positional.count <= 1 else { throw ProtocolError("too many arguments") }
    if let text = positional.first {
      guard let port = UInt16(text) else {
        throw ProtocolError("invalid port '\(text)': expected a number from 0 to 65535")
      }
      self.port = port
    }
    if peer == nil && !startsAsPrimary {
      throw ProtocolError("--peer HOST:PORT is needed (only a node started as primary may wait)")
    }
  }
}

/// The command line of `task4-client`.
public struct FailoverClientOptions: Sendable {
  /// The brokers, in the order to try them.
  public var addresses: [BrokerAddress]
  /// Publisher or subscriber.
  public var role: Role
  /// The topics (a publisher's) or filters (a subscriber's).
  public var topics: [String]
  /// The client's name; a named subscriber is durable.
  public var name: String?
  /// The token.
  public var token: String?

  /// The usage text.
  public static let usage = """
    usage: task4-client HOST:PORT[,HOST:PORT...] PUBLISHER|SUBSCRIBER TOPIC[,TOPIC...]
                        [--name NAME] [--token TOKEN]
      A client of a task4-broker pair that fails over to the next broker of the list when its
      broker dies. A PUBLISHER publishes each typed line on each of its topics; every message
      is acknowledged once both brokers hold it, and re-sent after a failover until it is. A
      SUBSCRIBER shows the messages of its topics and resumes after the last one it saw. A
      named subscriber is durable: the broker keeps what it misses while away (up to 10,000
      messages per topic). Commands: /help. 'terminate' quits.
    """

  /// Parses `arguments` (without the program name).
  ///
  /// - Throws: `ProtocolError` with the message for a usage error.
  public init(parsing arguments: [String]) throws(ProtocolError) {
    var arguments = arguments
    func take(_ option: String) throws(ProtocolError) -> String? {
      guard let index = arguments.firstIndex(of: option) else { return nil }
      guard index + 1 < arguments.count else { throw ProtocolError("\(option) needs a value") }
      defer { arguments.removeSubrange(index...(index + 1)) }
      return arguments[index + 1]
    }
    name = try take("--name")
    token = try take("--token")
    if let unknown = arguments.first(where: { $0.hasPrefix("--") }) {
      throw ProtocolError("unknown option '\(unknown)'")
    }
    guard arguments.count == 3 else {
      throw ProtocolError(
        arguments.count < 3
          ? "missing \(["HOST:PORT list", "role", "topic"][arguments.count])"
          : "too many arguments")
    }
    addresses = try BrokerAddress.parseList(arguments[0])
    guard let role = Role(parsing: arguments[1]) else {
      throw ProtocolError("unknown role '\(arguments[1])': expected PUBLISHER or SUBSCRIBER")
    }
    self.role = role
    topics = arguments[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    for topic in topics {
      let problem =
        role == .subscriber ? Topic.validateFilter(topic) : Topic.validateName(Array(topic.utf8))
      if let problem { throw ProtocolError("invalid topic '\(topic)': \(problem)") }
    }
    if let name, !BrokerHello.isValidName(name) {
      throw ProtocolError("invalid name '\(name)': use 1-32 letters, digits, '_', '-' or '.'")
    }
  }
}
