#if canImport(Glibc)
  import Glibc
#endif

/// The exit statuses every program in the workbook uses.
public enum ExitStatus: Int32, Sendable {
  /// It did what was asked.
  case success = 0
  /// Something outside the program failed: port taken, server unreachable, connection lost.
  case failure = 1
  /// It was called wrongly: bad arguments. The usage text says how to call it.
  case usage = 2
}

/// A command-line program's name and usage text, and the ways it reports a bad start.
///
/// `main.swift` files use it to keep argument checking to a few lines: every message goes to
/// standard error as `name: message`, one line, and the exit status says what kind of
/// failure it was.
public struct CommandLineProgram: Sendable {
  /// The name shown in messages, such as `task1-server`.
  public let name: String
  /// The usage text, starting with `usage:`.
  public let usage: String

  /// Creates a program description.
  public init(name: String, usage: String) {
    self.name = name
    self.usage = usage
  }

  /// Prints the usage to standard output and exits 0: the answer to `--help`.
  public func exitShowingHelp() -> Never {
    Console.standardOutput.writeLine(usage)
    exit(ExitStatus.success.rawValue)
  }

  /// Prints `message` and the usage to standard error and exits 2.
  public func exitWithUsageError(_ message: String) -> Never {
    Console.standardError.writeLine("\(name): \(message)\n\(usage)")
    exit(ExitStatus.usage.rawValue)
  }

  /// Prints `message` to standard error and exits with `status` (1 unless told otherwise).
  public func exit(failing message: String, status: ExitStatus = .failure) -> Never {
    Console.standardError.writeLine("\(name): \(message)")
    exit(status.rawValue)
  }

  /// Exits the process with `code`, flushing nothing: every output here is already written.
  public func exit(_ code: Int32) -> Never {
    Glibc.exit(code)
  }

  /// Parses a TCP port number, exiting with a usage error if `text` is not one.
  ///
  /// - Parameter allowsZero: Whether 0 ("any free port", for servers) is accepted.
  public func port(from text: String, allowsZero: Bool = false) -> UInt16 {
    guard let value = UInt16(text), allowsZero || value != 0 else {
      exitWithUsageError(
        "invalid port '\(text)': expected a number from \(allowsZero ? 0 : 1) to 65535")
    }
    return value
  }

  /// Binds a listener on `port` on every interface, or exits with status 1 and a message that
  /// names the port (the usual cause: another server is still running on it).
  public func listen(on port: UInt16) -> Listener {
    do {
      return try Listener.bind(port: port)
    } catch let error as SocketError where error.isAddressInUse {
      exit(failing: "port \(port) is already in use (is another server running?)")
    } catch {
      exit(failing: "cannot listen on port \(port): \(error)")
    }
  }

  /// Removes `--option VALUE` from `arguments` and returns VALUE (`nil` if the option is
  /// absent); exits with a usage error if the value is missing.
  public func takeOption(_ option: String, from arguments: inout [String]) -> String? {
    guard let index = arguments.firstIndex(of: option) else { return nil }
    guard index + 1 < arguments.count else { exitWithUsageError("\(option) needs a value") }
    defer { arguments.removeSubrange(index...(index + 1)) }
    return arguments[index + 1]
  }

  /// The arguments after the program's own path, with `--help`/`-h` answered on the spot.
  public func arguments() -> [String] {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.contains("--help") || arguments.contains("-h") { exitShowingHelp() }
    return arguments
  }
}
