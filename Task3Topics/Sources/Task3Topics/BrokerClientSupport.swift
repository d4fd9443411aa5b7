import Task1Echo
import Task2Roles

/// Turns what a person types into `task3-client` into protocol lines.
///
/// Plain text is a message: a publisher publishes it on each of its topics (one `PUB` per
/// topic, so a subscriber of two of them sees it once per topic, labelled with each); a
/// subscriber's text goes to the server's display only (`SAY`). Lines starting with `/` are
/// commands, so they can never be mistaken for message text; `//` sends a message that
/// starts with `/`.
public struct TypedLineTranslator: Sendable {
  /// What a typed line turns into.
  public enum Outcome: Equatable, Sendable {
    /// Protocol lines to send.
    case send([String])
    /// Nothing to send; show this to the user instead (help, or a mistake in a command).
    case show(String)
  }

  /// The client's role.
  public let role: Role
  /// The topics given on the command line.
  public let topics: [String]

  /// Creates a translator for a client with `role` and `topics`.
  public init(role: Role, topics: [String]) {
    self.role = role
    self.topics = topics
  }

  /// The local help text.
  public static let help = """
    type a line to send it | /pub TOPIC TEXT | /sub TOPIC | /unsub TOPIC | /topics | /who \
    | /dm NAME TEXT | /stats | /help | //TEXT sends TEXT starting with '/' | terminate quits
    """

  /// Translates one typed line.
  public func translate(_ typed: String) -> Outcome {
    if typed.hasPrefix("//") { return message(String(typed.dropFirst())) }
    guard typed.hasPrefix("/") else { return message(typed) }
    let words = typed.dropFirst().split(
      separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
    let verb = words.first.map { $0.lowercased() } ?? ""
    let arguments = words.dropFirst().map(String.init)
    switch (verb, arguments.count) {
    case ("sub", 1): return .send(["SUB \(arguments[0])"])
    case ("unsub", 1): return .send(["UNSUB \(arguments[0])"])
    case ("pub", 2): return .send(["PUB \(arguments[0]) \(arguments[1])"])
    case ("dm", 2): return .send(["DM \(arguments[0]) \(arguments[1])"])
    case ("topics", 0): return .send(["TOPICS"])
    case ("who", 0): return .send(["WHO"])
    case ("stats", 0): return .send(["STATS"])
    case ("help", 0): return .show(Self.help)
    case ("sub", _), ("unsub", _): return .show("usage: /\(verb) TOPIC")
    case ("pub", _): return .show("usage: /pub TOPIC TEXT")
    case ("dm", _): return .show("usage: /dm NAME TEXT")
    default: return .show("unknown command '/\(verb)'; /help lists them")
    }
  }

  private func message(_ text: String) -> Outcome {
    if text.isEmpty { return .send([]) }
    switch role {
    case .publisher: return .send(topics.map { "PUB \($0) \(text)" })
    case .subscriber: return .send(["SAY \(text)"])
    }
  }
}

/// How `task3-client` shows what the broker sends.
public struct BrokerLineFormatter: Sendable {
  /// Creates a formatter.
  public init() {}

  /// Where a formatted line goes.
  public enum Destination: Sendable, Equatable {
    /// Standard output.
    case output
    /// Standard error.
    case error
  }

  /// Formats one line from the broker; `time` is the local arrival time. Control
  /// characters are escaped: a publisher must not be able to clear or recolour a
  /// subscriber's terminal.
  public func format(_ line: String, time: String) -> (String, Destination) {
    let line = line.escapingControlCharacters
    let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
    switch words.first {
    case "MSG" where words.count == 4:
      return ("[\(time)] [\(words[1])] \(words[2]): \(words[3])", .output)
    case "DM" where words.count >= 3:
      return (
        "[\(time)] (direct) \(words[1]): \(line.split(separator: " ", maxSplits: 2)[2])", .output
      )
    case "+OK":
      return (formatReply(line.dropFirst(4)), .output)
    case "-ERR":
      return ("error: \(line.dropFirst(5))", .error)
    default:
      return (line, .output)
    }
  }

  private func formatReply(_ reply: Substring) -> String {
    let words = reply.split(separator: " ")
    switch words.first {
    case "HELLO": return "joined as \(words.dropFirst().joined(separator: " "))"
    case "bye": return "disconnected"
    case "TOPICS":
      let topics = words.dropFirst().map { entry -> String in
        let parts = entry.split(separator: ":")
        let count = parts.last.flatMap { Int($0) } ?? 0
        return
          "\(parts.dropLast().joined(separator: ":")) (\(count) subscriber\(count == 1 ? "" : "s"))"
      }
      return topics.isEmpty ? "topics: none" : "topics: " + topics.joined(separator: ", ")
    case "WHO":
      let members = words.dropFirst().map { entry -> String in
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return String(entry) }
        let topics = parts[2].isEmpty ? "" : " on \(parts[2])"
        return "\(parts[0]) (\(parts[1].lowercased())\(topics))"
      }
      return "connected: " + members.joined(separator: ", ")
    case "STATS": return "stats: " + words.dropFirst().joined(separator: " ")
    case "HELP": return "server " + words.dropFirst().joined(separator: " ")
    default: return String(reply)
    }
  }
}

/// Remembers whether the broker refused this client's hello, so that the client exits with
/// status 1 even if its input ended first.
public final class JoinOutcome: Sendable {
  // Guarded inside `Guarded`: nil until the broker answers the hello, then whether it
  // admitted the client.
  private let admitted = Guarded<Bool?>(nil)

  /// Creates an outcome not yet known.
  public init() {}

  /// Looks at one line from the broker; the first `+OK HELLO` or `-ERR` decides.
  public func observe(_ line: String) {
    admitted.withLock { admitted in
      guard admitted == nil else { return }
      if line.hasPrefix("+OK HELLO") {
        admitted = true
      } else if line.hasPrefix("-ERR") {
        admitted = false
      }
    }
  }

  /// Whether the broker refused the hello.
  public var wasRefused: Bool { admitted.value == false }
}
