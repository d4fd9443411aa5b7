import Task1Echo

#if canImport(Glibc)
  import Glibc
#endif

/// The command line of `task3-server`, parsed into a port and a configuration.
public struct ServerOptions: Sendable {
  /// The port to listen on.
  public var port: UInt16 = 5000
  /// Everything else.
  public var configuration = BrokerServer.Configuration()
  /// The live web view, if `--http` asked for one.
  public var liveView: LiveView.Options?

  /// The usage text.
  public static let usage =
    """
    usage: task3-server [PORT] [options]
      A topic broker on PORT (default 5000; 0 = any free port). Ctrl-C stops it.
      --quiet                  do not show each message (joins, leaves, errors still shown)
      --token TOKEN            clients must present TOKEN (task3-client --token TOKEN)
      --ping-interval SECONDS  ping a silent client after this long, drop it after twice
                               as long (default 30)
      --max-clients N          clients served at once (default 1024)
      --max-subscriptions N    subscriptions per client (default 1000)
      --max-pending-kib N      queued bytes per client before it is dropped as a slow
                               consumer, in KiB (default 4096)
      --max-line-bytes N       longest line accepted (default 4096)
    """ + "\n" + LiveView.Options.usage

  /// Parses `arguments` (without the program name).
  ///
  /// - Throws: `ProtocolError` with the message for a usage error.
  public init(parsing arguments: [String]) throws(ProtocolError) {
    var arguments = arguments
    liveView = try LiveView.Options.take(from: &arguments)
    var positional: [String] = []
    var index = 0
    func value(_ option: String) throws(ProtocolError) -> String {
      index += 1
      guard index < arguments.count else { throw ProtocolError("\(option) needs a value") }
      return arguments[index]
    }
    func number(_ option: String, _ range: ClosedRange<Int>) throws(ProtocolError) -> Int {
      let text = try value(option)
      guard let number = Int(text), range.contains(number) else {
        throw ProtocolError(
          "\(option) expects a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
        )
      }
      return number
    }
    while index < arguments.count {
      let argument = arguments[index]
      switch argument {
      case "--quiet": configuration.showsMessages = false
      case "--token": configuration.brokerLimits.token = try value(argument)
      case "--ping-interval":
        configuration.pingInterval = .seconds(try number(argument, 1...86_400))
      case "--max-clients": configuration.maximumClients = try number(argument, 1...1_000_000)
      case "--max-subscriptions":
        configuration.brokerLimits.maximumSubscriptionsPerClient = try number(
          argument, 1...1_000_000)
      case "--max-pending-kib":
        configuration.outboxLimits.maximumPendingBytes = try number(argument, 1...1_048_576) << 10
      case "--max-line-bytes": configuration.maximumLineLength = try number(argument, 64...1 << 20)
      default:
        if argument.hasPrefix("-") { throw ProtocolError("unknown option '\(argument)'") }
        positional.append(argument)
      }
      index += 1
    }
    guard positional.count <= 1 else { throw ProtocolError("too many arguments") }
    if let text = positional.first {
      guard let port = UInt16(text) else {
        throw ProtocolError("invalid port '\(text)': expected a number from 0 to 65535")
      }
      self.port = port
    }
  }
}

/// Raises this process's open-descriptor limit to its hard maximum, so the broker can serve
/// as many clients as the system allows (the soft default of 1,024 is too low for 1,000
/// clients plus the server's own files). Prints a note if it cannot.
public func raiseDescriptorLimit() {
  var limit = rlimit()
  guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
  if limit.rlim_cur < limit.rlim_max {
    limit.rlim_cur = limit.rlim_max
    if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 {
      Console.standardError.writeLine(
        "note: could not raise the open-file limit above \(limit.rlim_cur)")
    }
  }
}
