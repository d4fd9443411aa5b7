import Foundation

/// How to start one task's server and client of a submission, as command lines with
/// placeholders: `{port}` in the server's, `{host}` and `{port}` in the client's.
///
/// The commands go to `/bin/sh -c`, so a submission may use anything a shell allows
/// (`python3 server.py {port}`, `java -cp out Server {port}`, `cd task2 && ./server {port}`).
/// The grader appends the contract's further client arguments itself: the role for Tasks 2
/// and 3, and the topic list for Task 3, each quoted for the shell.
public struct TaskCommands: Sendable, Equatable {
  /// The server's command line; `{port}` is replaced by the port to listen on.
  public let server: String
  /// The client's command line; `{host}` and `{port}` are replaced by the server's address.
  public let client: String
  /// The directory the commands run in; `nil` for the grader's own working directory.
  public let directory: String?

  /// Creates the commands after checking their placeholders.
  ///
  /// A template with no placeholder at all gets the contract's arguments appended
  /// (`python3 server.py` runs as `python3 server.py 23456`), so the common case needs none.
  ///
  /// - Throws: `CommandTemplateError` if a template names one placeholder but not the other
  ///   it needs, or is empty.
  public init(server: String, client: String, directory: String? = nil)
    throws(CommandTemplateError)
  {
    self.server = try Self.checked(server, role: "server", placeholders: ["{port}"])
    self.client = try Self.checked(client, role: "client", placeholders: ["{host}", "{port}"])
    self.directory = directory
  }

  /// Returns the commands for one of this project's own products, e.g. `task2-server`, found
  /// in `directory`.
  public static func project(task: Int, productsDirectory directory: String) -> TaskCommands {
    let server = ShellQuoting.quote(directory + "/task\(task)-server") + " {port}"
    let client = ShellQuoting.quote(directory + "/task\(task)-client") + " {host} {port}"
    // The templates are well formed by construction.
    return try! TaskCommands(server: server, client: client)
  }

  /// Returns the server's command line for `port`.
  public func serverCommand(port: UInt16) -> String {
    server.replacingPlaceholder("{port}", with: String(port))
  }

  /// Returns the client's command line for a server at `host`:`port`, with `arguments`
  /// (role, topics) appended.
  public func clientCommand(host: String, port: UInt16, arguments: [String] = []) -> String {
    let command = client.replacingPlaceholder("{host}", with: ShellQuoting.quote(host))
      .replacingPlaceholder("{port}", with: String(port))
    return ([command] + arguments.map(ShellQuoting.quote)).joined(separator: " ")
  }

  private static func checked(_ template: String, role: String, placeholders: [String])
    throws(CommandTemplateError) -> String
  {
    let trimmed = template.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw .empty(role: role) }
    let present = placeholders.filter { trimmed.contains($0) }
    if present.isEmpty { return trimmed + " " + placeholders.joined(separator: " ") }
    if present.count < placeholders.count {
      let missing = placeholders.filter { !present.contains($0) }
      throw .missingPlaceholder(role: role, placeholder: missing[0], template: trimmed)
    }
    return trimmed
  }
}

/// A command template the grader cannot use.
public enum CommandTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The command is empty.
  case empty(role: String)
  /// The command names some placeholders but not `placeholder`.
  case missingPlaceholder(role: String, placeholder: String, template: String)

  public var description: String {
    switch self {
    case .empty(let role):
      return "the \(role) command is empty"
    case .missingPlaceholder(let role, let placeholder, let template):
      return "the \(role) command '\(template)' has no \(placeholder)"
    }
  }
}

/// Quoting for `/bin/sh`.
public enum ShellQuoting {
  /// Returns `word` so that the shell reads it back as exactly one word: unchanged if it is
  /// made of safe characters only, otherwise in single quotes (a `'` inside becomes `'\''`).
  public static func quote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }
}

extension String {
  fileprivate func replacingPlaceholder(_ placeholder: String, with value: String) -> String {
    replacingOccurrences(of: placeholder, with: value)
  }
}
