import Foundation
import Task1Echo

/// The broker's live web view: a page, its data as JSON and a stream of updates, served over
/// HTTP by an `HTTPResponder` on a port of its own.
///
/// | Path | Answer |
/// | --- | --- |
/// | `GET /` | the page (`LiveViewPage`), with the current state inside it |
/// | `GET /api/state` | a `LiveViewState` as JSON, for scripts and tests |
/// | `GET /events` | server-sent events: the same JSON as a `data:` line twice a second |
///
/// It costs the broker nothing while nobody looks: its thread blocks in `accept`, and a
/// snapshot is taken only for a request or an open event stream. A snapshot copies a few
/// lists under the broker's lock (see `LiveViewState.init(broker:activity:server:)`), as
/// `WHO` and `TOPICS` do.
public final class LiveView: Sendable {
  /// Where the view listens and what it shows (`--http`, `--http-host`,
  /// `--http-show-messages`).
  public struct Options: Sendable, Equatable {
    /// The port; 0 lets the kernel choose.
    public var port: UInt16
    /// The address to listen on: loopback by default, so only this machine sees the view.
    public var host: String
    /// Whether message texts appear in the activity feed.
    public var showsMessages: Bool

    /// Creates options.
    public init(port: UInt16, host: String = "127.0.0.1", showsMessages: Bool = false) {
      self.port = port
      self.host = host
      self.showsMessages = showsMessages
    }

    /// Whether `host` is a loopback address, reachable from this machine only.
    public var isLoopbackOnly: Bool {
      host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
  }

  /// How often the event stream sends the state: often enough to look live, seldom enough
  /// that an open page costs the broker nothing it would notice.
  public static let updateInterval: Duration = .milliseconds(500)

  /// The address to open in a browser, such as `http://127.0.0.1:8080/`.
  public let url: String
  private let responder: HTTPResponder

  /// Binds the view's port; `start()` starts serving.
  ///
  /// - Parameter state: Takes a snapshot of what to show; called for every request and
  ///   every update of every open page, on that connection's thread.
  /// - Throws: `SocketError` if the port cannot be bound.
  public init(options: Options, state: @escaping @Sendable () -> LiveViewState) throws {
    let listener = try Listener.bind(host: options.host, port: options.port)
    let host = options.host.contains(":") ? "[\(options.host)]" : options.host
    var configuration = HTTPResponder.Configuration()
    if options.isLoopbackOnly {
      // Only names of this machine: a page on another site cannot reach the view by
      // resolving its own name to 127.0.0.1.
      configuration.acceptedHostNames = ["localhost", "127.0.0.1", "[::1]", host.lowercased()]
    }
    url = "http://\(host):\(listener.localPort)/"
    responder = HTTPResponder(listener: listener, configuration: configuration) { request in
      Self.reply(to: request, state: state)
    }
  }

  /// Binds a view of `broker`, whose clients connect on `brokerPort`, with the events
  /// `activity` keeps.
  ///
  /// - Parameter nodes: For a broker that is one of a replicated group: describes the group,
  ///   for the page's table of nodes. Called with every snapshot, so it must be quick.
  /// - Throws: `SocketError` if the port cannot be bound.
  public convenience init(
    options: Options, broker: Broker, activity: ActivityFeed, serverName: String,
    brokerPort: UInt16, nodes: (@Sendable () -> [LiveViewState.Node])? = nil
  ) throws {
    let startTime = ContinuousClock.now
    let rates = RateHistory()
    let topicRates = TopicRateMeter()
    try self.init(options: options) {
      var state = LiveViewState(
        broker: broker, activity: activity,
        server: .init(
          name: serverName, port: brokerPort, startTime: startTime,
          showsMessages: options.showsMessages))
      state.rates = rates.record(state.totals, atUptime: state.server.uptimeMilliseconds)
      state.topicRates = topicRates.record(
        broker.topicTotals, atUptime: state.server.uptimeMilliseconds)
      state.nodes = nodes?()
      return state
    }
  }

  /// The port the view listens on.
  public var port: UInt16 { responder.listener.localPort }

  /// Starts serving on a thread of its own.
  public func start() {
    let thread = Thread { [responder] in responder.run() }
    thread.name = "live view"
    thread.start()
  }

  /// Stops accepting and ends every open event stream.
  public func stop() {
    responder.stop()
  }

  /// Answers a GET request for `request.path`.
  public static func reply(
    to request: HTTPRequest, state: @escaping @Sendable () -> LiveViewState
  ) -> HTTPResponder.Reply {
    switch request.path {
    case "/":
      return .response(
        HTTPResponse(
          status: .ok,
          fields: [
            HTTPField("Content-Type", "text/html; charset=utf-8"),
            HTTPField("Cache-Control", "no-store"),
            // The page loads nothing from anywhere else; the browser enforces that too.
            HTTPField("Content-Security-Policy", LiveViewPage.contentSecurityPolicy),
            HTTPField("X-Content-Type-Options", "nosniff"),
          ],
          body: LiveViewPage.html(embedding: encode(state()))))
    case "/api/state":
      return .response(
        HTTPResponse(
          status: .ok,
          fields: [
            HTTPField("Content-Type", "application/json"), HTTPField("Cache-Control", "no-store"),
          ],
          body: encode(state())))
    case "/events":
      let head = HTTPResponse(
        status: .ok,
        fields: [
          HTTPField("Content-Type", "text/event-stream"), HTTPField("Cache-Control", "no-store"),
        ])
      return .stream(head: head) { stream in
        // `retry` asks the browser to reconnect a second after losing the server, so a
        // restarted broker reappears by itself.
        guard stream.send(Array("retry: 1000\n\n".utf8)) else { return }
        repeat {
          // JSON without pretty-printing has no newlines, so it fits on one `data:` line.
          guard stream.send(Array("data: ".utf8) + encode(state()) + [0x0A, 0x0A]) else { return }
        } while stream.pause(for: updateInterval)
      }
    default:
      return .response(.text(.notFound, "nothing here; the live view is at /"))
    }
  }

  /// The state as compact JSON with sorted keys, so equal states give equal bytes.
  public static func encode(_ state: LiveViewState) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding plain structs of strings and numbers cannot fail.
    return Array(try! encoder.encode(state))
  }
}

extension LiveView.Options {
  /// The usage lines of the view's options, for servers that offer it.
  public static let usage = """
      --http PORT              also serve a live web view of the broker on PORT (0 = any
                               free port), to this machine only
      --http-host ADDRESS      serve the view on ADDRESS instead of 127.0.0.1 (0.0.0.0
                               opens it to the network)
      --http-show-messages     show message texts in the view's activity feed
    """

  /// Removes `--http PORT`, `--http-host ADDRESS` and `--http-show-messages` from
  /// `arguments` and returns the view's options, or `nil` without `--http`.
  ///
  /// - Throws: `ProtocolError` with the message for a usage error.
  public static func take(from arguments: inout [String]) throws(ProtocolError) -> Self? {
    func take(_ option: String, hasValue: Bool) throws(ProtocolError) -> String? {
      guard let index = arguments.firstIndex(of: option) else { return nil }
      guard hasValue else {
        arguments.remove(at: index)
        return ""
      }
      guard index + 1 < arguments.count else { throw ProtocolError("\(option) needs a value") }
      defer { arguments.removeSubrange(index...(index + 1)) }
      return arguments[index + 1]
    }
    let port = try take("--http", hasValue: true)
    let host = try take("--http-host", hasValue: true)
    let showsMessages = try take("--http-show-messages", hasValue: false) != nil
    guard let port else {
      if host != nil || showsMessages {
        throw ProtocolError("--http-host and --http-show-messages need --http PORT")
      }
      return nil
    }
    guard let number = UInt16(port) else {
      throw ProtocolError("--http expects a number from 0 to 65535, not '\(port)'")
    }
    return Self(port: number, host: host ?? "127.0.0.1", showsMessages: showsMessages)
  }
}

extension LiveView {
  /// Creates and starts the view for a server's `main.swift`, announcing its address, or
  /// exits with status 1 and a clear message if its port cannot be had.
  public static func startOrExit(
    program: CommandLineProgram, options: Options, broker: Broker, activity: ActivityFeed,
    brokerPort: UInt16, nodes: (@Sendable () -> [LiveViewState.Node])? = nil
  ) -> LiveView {
    let view: LiveView
    do {
      view = try LiveView(
        options: options, broker: broker, activity: activity, serverName: program.name,
        brokerPort: brokerPort, nodes: nodes)
    } catch let error as SocketError where error.isAddressInUse {
      program.exit(failing: "live view port \(options.port) is already in use")
    } catch {
      program.exit(failing: "cannot serve the live view on \(options.host): \(error)")
    }
    view.start()
    let reach = options.isLoopbackOnly ? "this machine only" : "open to the network"
    Console.standardOutput.writeLine("live view on \(view.url) (\(reach))")
    return view
  }
}
