import Task1Echo
import Task2Roles

/// The first line of a Task 3 conversation: `HELLO <role> [name=<name>] [token=<token>]`.
public struct BrokerHello: Equatable, Sendable {
  /// What the client is.
  public var role: Role
  /// The name it asked for, if any.
  public var name: String?
  /// The token it presented, if any.
  public var token: String?

  /// Creates a hello.
  public init(role: Role, name: String? = nil, token: String? = nil) {
    self.role = role
    self.name = name
    self.token = token
  }

  /// The line a client sends.
  public var line: String {
    var line = "HELLO \(role.rawValue)"
    if let name { line += " name=\(name)" }
    if let token { line += " token=\(token)" }
    return line
  }

  /// Parses a hello line.
  ///
  /// - Throws: `ProtocolError` saying what is wrong.
  public init(parsing line: some Collection<UInt8>) throws(ProtocolError) {
    let words = String(lineBytes: line).split(separator: " ")
    guard words.count >= 2, words[0].asciiUppercased == "HELLO", let role = Role(parsing: words[1])
    else {
      throw .init("expected HELLO PUBLISHER|SUBSCRIBER [name=NAME] [token=TOKEN]")
    }
    self.init(role: role)
    for option in words.dropFirst(2) {
      if option.hasPrefix("name="), name == nil {
        let name = String(option.dropFirst(5))
        guard Self.isValidName(name) else {
          throw .init("invalid name '\(name)': use 1-32 letters, digits, '_', '-' or '.'")
        }
        self.name = name
      } else if option.hasPrefix("token="), token == nil {
        token = String(option.dropFirst(6))
      } else {
        throw .init("unexpected '\(option)' in HELLO")
      }
    }
  }

  /// Whether `name` can name a client: 1 to 32 of `A-Z a-z 0-9 _ - .`.
  public static func isValidName(_ name: String) -> Bool {
    isValidIdentifier(name, maximumLength: 32)
  }

  /// Whether `text` is 1 to `maximumLength` of `A-Z a-z 0-9 _ - .`: safe to show, to put in a
  /// protocol line and to use as a key.
  public static func isValidIdentifier(_ text: String, maximumLength: Int) -> Bool {
    (1...maximumLength).contains(text.utf8.count)
      && text.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
          UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"),
          UInt8(ascii: "."):
          true
        default: false
        }
      }
  }
}

/// A line the broker could not accept; `message` is sent to the client after `-ERR `.
public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What is wrong, in words for the person at the other end.
  public let message: String

  /// Creates an error. Control characters in `message` (it often quotes what the client
  /// sent) are escaped, so the reply cannot drive the client's terminal or the server's.
  public init(_ message: String) {
    self.message = message.escapingControlCharacters
  }

  public var description: String { message }
}

/// One command from a client after its hello. See PROTOCOL.md for each.
///
/// `publish` keeps its topic and text as slices of the received bytes: it is the command
/// sent millions of times a second, so it is parsed without building a `String`. The rest
/// are rare and parsed the easy way.
public enum Command: Equatable {
  /// `PUB <topic> <text>`.
  case publish(topic: ArraySlice<UInt8>, text: ArraySlice<UInt8>)
  /// `SUB <filter>`.
  case subscribe(String)
  /// `UNSUB <filter>`.
  case unsubscribe(String)
  /// `DM <name> <text>`.
  case direct(to: String, text: String)
  /// `SAY <text>`: shown on the server only.
  case say(String)
  /// `TOPICS`.
  case topics
  /// `WHO`.
  case who
  /// `STATS`.
  case stats
  /// `HELP`.
  case help
  /// `PING`.
  case ping
  /// `PONG`.
  case pong
  /// `QUIT`, or the course's `terminate`.
  case quit

  /// Parses one line.
  ///
  /// - Throws: `ProtocolError` for an unknown verb or wrong arguments; the connection stays
  ///   open (one bad command is not a reason to drop a client).
  public init(parsing line: ArraySlice<UInt8>) throws(ProtocolError) {
    // The fast path: "PUB " in any case, then topic, a space, and the text.
    if line.count >= 4, Self.hasVerb(line, "PUB") {
      let afterVerb = line.index(line.startIndex, offsetBy: 4)
      guard let space = line[afterVerb...].firstIndex(of: 0x20), space > afterVerb else {
        throw ProtocolError("usage: PUB <topic> <text>")
      }
      self = .publish(topic: line[afterVerb..<space], text: line[(space + 1)...])
      return
    }
    let text = String(lineBytes: line)
    let trimmed = text.drop { $0 == " " }
    let verb = trimmed.prefix { $0 != " " }
    let argument = trimmed.dropFirst(verb.count).drop { $0 == " " }
    func single(_ usage: String) throws(ProtocolError) -> String {
      guard !argument.isEmpty, !argument.contains(" ") else {
        throw ProtocolError("usage: \(usage)")
      }
      return String(argument)
    }
    func none(_ command: Command) throws(ProtocolError) -> Command {
      guard argument.isEmpty else {
        throw ProtocolError("\(verb.asciiUppercased) takes no arguments")
      }
      return command
    }
    switch verb.asciiUppercased {
    case "SUB": self = .subscribe(try single("SUB <topic>"))
    case "UNSUB": self = .unsubscribe(try single("UNSUB <topic>"))
    case "DM":
      let name = argument.prefix { $0 != " " }
      let message = argument.dropFirst(name.count).drop { $0 == " " }
      guard !name.isEmpty, !message.isEmpty else { throw ProtocolError("usage: DM <name> <text>") }
      self = .direct(to: String(name), text: String(message))
    case "SAY": self = .say(String(argument))
    case "TOPICS": self = try none(.topics)
    case "WHO": self = try none(.who)
    case "STATS": self = try none(.stats)
    case "HELP": self = try none(.help)
    case "PING": self = try none(.ping)
    case "PONG": self = try none(.pong)
    case "QUIT", "TERMINATE": self = try none(.quit)
    case "": throw ProtocolError("empty line; try HELP")
    case "PUB": throw ProtocolError("usage: PUB <topic> <text>")
    default:
      throw ProtocolError(
        "unknown command '\(String(verb.prefix(32)).escapingControlCharacters)'; try HELP")
    }
  }

  /// Whether `line` starts with `verb` (upper-case ASCII) in any case, then a space.
  private static func hasVerb(_ line: ArraySlice<UInt8>, _ verb: StaticString) -> Bool {
    var index = line.startIndex
    for expected in UnsafeBufferPointer(start: verb.utf8Start, count: verb.utf8CodeUnitCount) {
      guard index < line.endIndex, line[index] & 0xDF == expected else { return false }
      index += 1
    }
    return index < line.endIndex && line[index] == 0x20
  }

  /// The text of the `HELP` reply.
  public static let helpText =
    "commands: PUB <topic> <text> | SUB <topic> | UNSUB <topic> | DM <name> <text> | SAY <text>"
    + " | TOPICS | WHO | STATS | PING | QUIT (wildcards in SUB: * one token, > the rest)"
}
