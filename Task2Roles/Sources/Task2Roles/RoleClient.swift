import Foundation
import Task1Echo

/// How the Task 2 client shows what the server sends.
///
/// Deliveries (`MSG publisher-3 text`) become `[14:03:27.041] publisher-3: text`; the
/// server's `+OK` to the hello becomes a "joined" line; errors go to standard error.
public struct RoleClientDisplay: Sendable {
  private let output: Console
  private let errors: Console

  /// Creates a display on the given consoles.
  public init(output: Console = .standardOutput, errors: Console = .standardError) {
    self.output = output
    self.errors = errors
  }

  /// Shows one line from the server.
  public func show(_ line: String) {
    // A publisher must not be able to drive a subscriber's terminal with escape sequences.
    let line = line.escapingControlCharacters
    if line.hasPrefix("MSG ") {
      let rest = line.dropFirst(4)
      let sender = rest.prefix { $0 != " " }
      let text = rest.dropFirst(sender.count + 1)
      output.writeLine("[\(ActivityLog.timestamp())] \(sender): \(text)")
    } else if line.hasPrefix("+OK bye") {
      output.writeLine("disconnected")
    } else if line.hasPrefix("+OK ") {
      output.writeLine("joined as \(line.dropFirst(4))")
    } else if line.hasPrefix("-ERR ") {
      errors.writeLine("server: \(line.dropFirst(5))")
    } else {
      output.writeLine(line)
    }
  }
}
