import Foundation

/// The client side of a line-based conversation: typed lines go to the server, lines from
/// the server are shown as they arrive.
///
/// Two things happen at once here, reading the keyboard and reading the socket, and a
/// thread can block on only one of them; so the socket gets a thread of its own. The main
/// thread reads standard input and sends; the receiver thread shows what the server sends.
/// Later stages reuse this type with their own display and end-of-input rules.
public final class InteractiveClient: Sendable {
  /// What the client does when its standard input ends (Ctrl-D, or the end of a piped file).
  public enum EndOfInput: Sendable {
    /// Stop sending, let the server finish, exit 0.
    case finish
    /// Go on showing what the server sends until it closes or the user presses Ctrl-C: how
    /// a subscriber run as `client ... < /dev/null` works as a pure listener.
    case keepListening
  }

  /// How long to wait, after sending everything, for the server's last replies.
  public static let closingGracePeriod = DispatchTimeInterval.seconds(2)

  private let connection: Connection
  private let programName: String
  private let endOfInput: EndOfInput
  private let display: @Sendable (String) -> Void
  private let translate: @Sendable (String) -> [String]
  private let automaticReply: @Sendable (String) -> String?
  private let finishing = Flag()
  /// Held for each whole line sent, because two threads send: the main thread (typed lines)
  /// and the receiver (automatic replies such as `PONG`). Without it, a long line cut into
  /// several `send` calls could have a reply land in its middle.
  private let sending = NSLock()
  private let receiverDone = DispatchSemaphore(value: 0)

  /// Creates a client on an open connection.
  ///
  /// - Parameters:
  ///   - programName: Used in messages on standard error.
  ///   - endOfInput: What the end of standard input means.
  ///   - translate: Turns a typed line into the protocol lines to send (none, to handle it
  ///     locally); by default the line is sent as it is.
  ///   - automaticReply: Answers a line from the server without showing it (a keepalive
  ///     `PING`, say); `nil` to show the line instead.
  ///   - display: Shows one line received from the server (already decoded).
  public init(
    connection: Connection, programName: String, endOfInput: EndOfInput = .finish,
    translate: @escaping @Sendable (String) -> [String] = { [$0] },
    automaticReply: @escaping @Sendable (String) -> String? = { _ in nil },
    display: @escaping @Sendable (String) -> Void
  ) {
    self.connection = connection
    self.programName = programName
    self.endOfInput = endOfInput
    self.translate = translate
    self.automaticReply = automaticReply
    self.display = display
  }

  /// Sends `line` and a newline as one unit.
  private func send(_ line: String) throws {
    try sending.withLock { try connection.sendAll(line + "\n") }
  }

  /// Runs the conversation: sends each line `readLine` returns until it returns `nil` or the
  /// user types `terminate`, and returns the status the process should exit with.
  ///
  /// If the server closes the connection first, the client says so on standard error and
  /// the process exits with status 1 from the receiver thread.
  public func run(readingLinesWith readLine: () -> String?) -> ExitStatus {
    let receiver = Thread { [self] in receive() }
    receiver.name = "receiver"
    receiver.start()
    while let line = readLine() {
      do {
        if isTerminateCommand(line) {
          // Marked first: the server may close before `sendAll` even returns.
          finishing.set()
          try send("terminate")
          return finish()
        }
        for protocolLine in translate(line) { try send(protocolLine) }
      } catch {
        connectionLost(error)
      }
    }
    switch endOfInput {
    case .finish:
      return finish()
    case .keepListening:
      receiverDone.wait()
      return .success  // not reached: the receiver exits the process when the server leaves
    }
  }

  /// Half-closes the connection so the server sees the end, then gives it a moment to send
  /// its last replies before the process exits.
  private func finish() -> ExitStatus {
    finishing.set()
    connection.finishSending()
    _ = receiverDone.wait(timeout: .now() + Self.closingGracePeriod)
    return .success
  }

  /// The receiver thread: shows each line from the server until the stream ends.
  private func receive() {
    var framer = LineFramer(maximumLineLength: 1 << 20)
    var buffer = [UInt8](repeating: 0, count: 65_536)
    do {
      while true {
        let count = try buffer.withUnsafeMutableBytes { try connection.receive(into: $0) }
        if count == 0 { break }
        buffer.withUnsafeBytes { framer.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        while let line = try framer.nextLine() {
          let text = String(lineBytes: line)
          if let answer = automaticReply(text) {
            try? send(answer)
          } else {
            display(text)
          }
        }
      }
      if let last = framer.takeRemainder() { display(String(lineBytes: last)) }
    } catch {
      if !finishing.isSet { connectionLost(error) }
    }
    if !finishing.isSet {
      Console.standardError.writeLine("\(programName): the server closed the connection")
      exit(ExitStatus.failure.rawValue)
    }
    receiverDone.signal()
  }

  private func connectionLost(_ error: any Error) -> Never {
    Console.standardError.writeLine("\(programName): lost the connection to the server: \(error)")
    exit(ExitStatus.failure.rawValue)
  }
}
