/// Topic names and subscription filters.
///
/// A topic is a dot-separated list of tokens, such as `sports.football.scores`. Names are
/// case-sensitive and matched whole: `TOPIC_A` never matches `TOPIC_AB`, and `sports` never
/// matches `sports.football`. Subscriptions may use two wildcards, with NATS's syntax:
/// - `*` matches exactly one token: `sports.*.scores` matches `sports.football.scores`;
/// - `>` as the last token matches one or more tokens: `sports.>` matches `sports.football`
///   and `sports.football.scores`, but not `sports` itself.
public enum Topic {
  /// The longest topic name or filter accepted, in bytes.
  public static let maximumLength = 256

  /// Why a topic name or filter was refused.
  public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing was given.
    case empty
    /// Longer than `Topic.maximumLength`.
    case tooLong
    /// Two dots in a row, or a dot at either end.
    case emptyToken
    /// A space, control character or comma (commas separate topics on the command line).
    case invalidCharacter
    /// A wildcard in a name being published to, or misplaced in a filter.
    case misplacedWildcard
    /// Bytes that are not UTF-8. Refused rather than repaired: two different invalid names
    /// would otherwise decode to the same text and reach each other's subscribers.
    case notUTF8

    public var description: String {
      switch self {
      case .empty: "topic is empty"
      case .tooLong: "topic is longer than \(Topic.maximumLength) bytes"
      case .emptyToken: "topic has an empty token (two dots in a row, or a dot at an end)"
      case .invalidCharacter: "topic contains a space, comma or control character"
      case .misplacedWildcard:
        "wildcards go in subscriptions only: '*' as a whole token, '>' as the last token"
      case .notUTF8: "topic is not valid UTF-8"
      }
    }
  }

  /// Checks that `bytes` name a topic that can be published to (no wildcards).
  ///
  /// Works on raw bytes because it runs for every published message.
  public static func validateName(_ bytes: some Collection<UInt8>) -> Problem? {
    validate(bytes, allowingWildcards: false)
  }

  /// Checks that `text` is a valid subscription filter (wildcards allowed where they fit).
  public static func validateFilter(_ text: String) -> Problem? {
    validate(Array(text.utf8), allowingWildcards: true)
  }

  private static func validate(_ bytes: some Collection<UInt8>, allowingWildcards: Bool)
    -> Problem?
  {
    if bytes.isEmpty { return .empty }
    if bytes.count > maximumLength { return .tooLong }
    var tokenLength = 0
    var tokenIsWildcard = false
    var sawRest = false
    for byte in bytes {
      if sawRest { return .misplacedWildcard }  // nothing may follow a '>' token
      switch byte {
      case UInt8(ascii: "."):
        if tokenLength == 0 { return .emptyToken }
        tokenLength = 0
        tokenIsWildcard = false
        continue
      case 0...0x20, 0x7F, UInt8(ascii: ","):
        return .invalidCharacter
      case UInt8(ascii: "*"), UInt8(ascii: ">"):
        if !allowingWildcards || tokenLength != 0 { return .misplacedWildcard }
        tokenIsWildcard = true
        if byte == UInt8(ascii: ">") { sawRest = true }
      default:
        if tokenIsWildcard { return .misplacedWildcard }
      }
      tokenLength += 1
    }
    if tokenLength == 0 { return .emptyToken }
    return String(validating: bytes, as: UTF8.self) == nil ? .notUTF8 : nil
  }
}
