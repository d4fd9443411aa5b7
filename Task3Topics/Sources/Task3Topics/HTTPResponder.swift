import Foundation
import Task1Echo
import Task2Roles

#if canImport(Glibc)
  import Glibc
#endif

/// A minimal HTTP/1.1 server on the workbook's own socket layer: GET only, one request per
/// connection, a thread per connection.
///
/// A browser talks to it as `task3-client` talks to the broker: it opens a TCP connection
/// and sends lines of text; only the words differ. A connection here carries one request and
/// one response, then closes (`Connection: close`), which spares the server keep-alive
/// bookkeeping; the live view's page makes one request for itself and then keeps one event
/// stream open, so reopening costs nothing that matters. An open stream holds its thread
/// and one of the `maximumConnections` places for as long as the page stays open.
///
/// Defences, since anything on the network may connect: the request head is read with
/// limits (`HTTPRequestParser.Limits`) and a deadline, so a client that trickles bytes
/// cannot hold a thread for long; at most `maximumConnections` are served at once; and with
/// `acceptedHostNames` set, a request naming another host is refused, so that a web page
/// elsewhere cannot reach a loopback-only server by pointing its own domain name at
/// 127.0.0.1 (DNS rebinding).
public final class HTTPResponder: Sendable {
  /// What to send for a request.
  public enum Reply: Sendable {
    /// A complete response.
    case response(HTTPResponse)
    /// A response whose body is produced over time, such as server-sent events: `head` is
    /// sent without a length, then `produce` writes to the stream until it returns, and the
    /// end of the connection ends the body.
    case stream(head: HTTPResponse, produce: @Sendable (HTTPStream) -> Void)
  }

  /// Limits and timeouts.
  public struct Configuration: Sendable {
    /// How much of a request head is read.
    public var limits = HTTPRequestParser.Limits()
    /// How long a client has to send its whole request head.
    public var requestTimeout: Duration = .seconds(10)
    /// How long a send may stall before the client is presumed gone.
    public var sendTimeout: Duration = .seconds(5)
    /// The most connections served at once; more get 503.
    public var maximumConnections = 32
    /// The host names (without port, lower case; IPv6 in brackets) a request's `Host` may
    /// name; `nil` accepts any.
    public var acceptedHostNames: Set<String>?

    /// The defaults.
    public init() {}
  }

  /// The listening socket.
  public var listener: Listener { acceptor.listener }
  private let acceptor: ThreadPerConnection
  private let configuration: Configuration
  private let handler: @Sendable (HTTPRequest) -> Reply
  private let stopSignal = StopSignal()

  /// Creates a responder on a bound listener; `run` starts it.
  ///
  /// - Parameter handler: Answers each GET request whose host is accepted. It runs on the
  ///   connection's thread.
  public init(
    listener: Listener, configuration: Configuration = .init(),
    handler: @escaping @Sendable (HTTPRequest) -> Reply
  ) {
    acceptor = ThreadPerConnection(
      listener: listener, maximumConnections: configuration.maximumConnections)
    self.configuration = configuration
    self.handler = handler
  }

  /// Serves connections until `stop()`.
  public func run() {
    acceptor.run(
      serve: { [self] connection in serve(connection) },
      refuse: { [configuration] connection in
        try? connection.socket.setSendTimeout(.seconds(1))
        let response = HTTPResponse.text(
          .serviceUnavailable,
          "more than \(configuration.maximumConnections) connections at once; try again")
        try? connection.sendAll(response.bytes)
        connection.close()
      })
  }

  /// Stops accepting and tells every stream to end; `run` returns.
  public func stop() {
    stopSignal.stop()
    acceptor.stop()
  }

  /// Decides the reply to a request head: the checks every request passes, then `handler`.
  public func reply(to request: HTTPRequest) -> Reply {
    if let accepted = configuration.acceptedHostNames,
      !accepted.contains(Self.hostName(in: request.value(of: "Host") ?? ""))
    {
      return .response(.text(.misdirectedRequest, "this server does not answer for that host"))
    }
    guard request.method == "GET" else {
      return .response(
        .text(
          .methodNotAllowed, "only GET is served here", fields: [HTTPField("Allow", "GET")]))
    }
    return handler(request)
  }

  /// The host part of a `Host` value, lower case: `localhost:8080` gives `localhost`,
  /// `[::1]:8080` gives `[::1]`.
  public static func hostName(in hostField: String) -> String {
    let host: Substring
    if hostField.hasPrefix("["), let end = hostField.firstIndex(of: "]") {
      host = hostField[...end]
    } else {
      host = hostField.prefix { $0 != ":" }
    }
    return host.lowercased()
  }

  // MARK: - One connection

  /// Serves one connection, on its own thread: reads a request, answers, closes.
  private func serve(_ connection: Connection) {
    try? connection.socket.setSendTimeout(configuration.sendTimeout)
    let reply: Reply
    do {
      guard let request = try readRequest(from: connection) else {
        connection.close()  // gone before a whole request: nobody to answer
        return
      }
      reply = self.reply(to: request)
    } catch {
      reply = .response(.text(error.status, error.detail))
    }
    switch reply {
    case .response(let response):
      try? connection.sendAll(stamped(response).bytes)
    case .stream(let head, let produce):
      if (try? connection.sendAll(stamped(head).head(includesLength: false))) != nil {
        produce(HTTPStream(connection: connection, stopSignal: stopSignal))
      }
    }
    closeGracefully(connection)
  }

  /// Reads one request head, within the request deadline.
  ///
  /// - Returns: The request, or `nil` if the client closed or reset the connection first.
  /// - Throws: `HTTPRequestError` for a request to refuse, including 408 past the deadline.
  private func readRequest(from connection: Connection) throws(HTTPRequestError)
    -> HTTPRequest?
  {
    var parser = HTTPRequestParser(limits: configuration.limits)
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = ContinuousClock.now + configuration.requestTimeout
    while true {
      if let request = try parser.nextRequest() { return request }
      // One overall deadline, not one per read: a client sending a byte every few seconds
      // would otherwise hold this thread for as long as it liked.
      let remaining = deadline - .now
      let count: Int
      do {
        guard remaining > .zero else { throw SocketError.timedOut }
        try connection.socket.setReceiveTimeout(remaining)
        count = try buffer.withUnsafeMutableBytes { try connection.receive(into: $0) }
      } catch SocketError.timedOut {
        throw HTTPRequestError(
          .requestTimeout, "the request did not arrive within \(configuration.requestTimeout)")
      } catch {
        return nil
      }
      if count == 0 { return nil }
      buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
  }

  /// Adds the `Date` field every response from a server with a clock carries.
  private func stamped(_ response: HTTPResponse) -> HTTPResponse {
    var response = response
    response.fields.insert(HTTPField("Date", Self.httpDate()), at: 0)
    return response
  }

  /// Ends the connection without destroying the response on its way.
  ///
  /// Closing a socket that still holds unread input (a request body this server ignores)
  /// makes the kernel reset the connection, and a reset can discard the response before the
  /// client reads it. So: send our end of stream first, read and drop whatever the client
  /// still sends for a moment, then close.
  private func closeGracefully(_ connection: Connection) {
    connection.finishSending()
    try? connection.socket.setReceiveTimeout(.seconds(1))
    var drained = 0
    while drained < 65_536, let bytes = try? connection.receive(maximumCount: 4096) {
      drained += bytes.count
    }
    connection.close()
  }

  /// The current time in HTTP's format: `Sun, 06 Nov 1994 08:49:37 GMT`.
  static func httpDate() -> String {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    var text = [CChar](repeating: 0, count: 64)
    // The C locale is in force (nothing here calls setlocale), so the names are English.
    let count = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
    return String(decoding: text[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// The open connection of a streamed response, handed to the code producing the body.
public final class HTTPStream: Sendable {
  private let connection: Connection
  private let stopSignal: StopSignal

  init(connection: Connection, stopSignal: StopSignal) {
    self.connection = connection
    self.stopSignal = stopSignal
  }

  /// Sends `bytes`.
  ///
  /// - Returns: `false` once the client has gone (or stopped reading for the send timeout);
  ///   the producer should then return.
  public func send(_ bytes: [UInt8]) -> Bool {
    (try? connection.sendAll(bytes)) != nil
  }

  /// Waits for `interval`, or less if the server stops.
  ///
  /// - Returns: `false` if the server is stopping; the producer should then return.
  public func pause(for interval: Duration) -> Bool {
    !stopSignal.wait(for: interval)
  }
}

/// A one-way switch that wakes everything waiting on it when it is thrown.
final class StopSignal: @unchecked Sendable {
  // `isStopped` is guarded by `condition`, which is broadcast when it changes.
  private let condition = NSCondition()
  private var isStopped = false

  /// Throws the switch.
  func stop() {
    condition.lock()
    isStopped = true
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until `stop()` or `interval` has passed, whichever is first.
  ///
  /// - Returns: Whether `stop()` has been called.
  func wait(for interval: Duration) -> Bool {
    let deadline = Date(
      timeIntervalSinceNow: Double(interval.components.seconds) + Double(
        interval.components.attoseconds) / 1e18)
    condition.lock()
    defer { condition.unlock() }
    while !isStopped && condition.wait(until: deadline) {}
    return isStopped
  }
}
