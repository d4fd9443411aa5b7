import Task1Echo

/// What a client is in the publish/subscribe pattern.
///
/// Publishers send messages without knowing who receives them; subscribers receive without
/// knowing who sent. The server in the middle is what decouples the two.
public enum Role: String, Sendable, CaseIterable, CustomStringConvertible {
  /// Sends messages for the server to distribute.
  case publisher = "PUBLISHER"
  /// Receives every message published.
  case subscriber = "SUBSCRIBER"

  /// Parses a role as typed on a command line or sent in a hello: any letter case.
  public init?(parsing text: some StringProtocol) {
    let upper = text.asciiUppercased
    guard let role = Role(rawValue: upper) else { return nil }
    self = role
  }

  /// The lower-case word used in names such as `publisher-3`.
  public var word: String { rawValue.lowercased() }

  public var description: String { rawValue }
}

/// The hello line that starts every conversation: `HELLO PUBLISHER` or `HELLO SUBSCRIBER`.
///
/// A TCP connection carries no information about what the client wants to be, so the
/// protocol's first line says it.
public enum Hello {
  /// The line a client sends to announce `role`.
  public static func line(for role: Role) -> String {
    "HELLO \(role.rawValue)"
  }

  /// Parses a hello line; `nil` if it is not one. The verb and role are case-insensitive and
  /// extra spaces are ignored; anything after the role is refused.
  public static func parse(_ line: some Collection<UInt8>) -> Role? {
    let words = String(lineBytes: line).split(separator: " ", omittingEmptySubsequences: true)
    guard words.count == 2, words[0].asciiUppercased == "HELLO" else { return nil }
    return Role(parsing: words[1])
  }
}
