import Foundation
import Task1Echo
import Task2Roles

/// Task 3's server: the topic broker.
///
/// It keeps Task 2's shape (a thread per connection, an `Outbox` and writer thread per
/// client, state behind a lock) and changes what a published line means: it goes to the
/// subscribers of its topic only. The path of one published line:
/// ```
/// publisher's thread: recv 64 KiB -> LineFramer -> Command.publish(topic, text)
///   -> Route for the topic (looked up once per read; then one atomic check)
///   -> "MSG topic sender text\n" appended to this read's run of messages for that route
/// end of the read (or a change of topic): the run is enqueued once into each subscriber's
/// Outbox; each subscriber's writer thread sends everything queued with one send().
/// ```
public final class BrokerServer: Sendable {
  /// The server's settings and limits.
  public struct Configuration: Sendable {
    /// The longest line accepted, in bytes.
    public var maximumLineLength = LineFramer.defaultMaximumLineLength
    /// Every client's outbound queue limits.
    public var outboxLimits = Outbox.Limits.standard
    /// The broker's own limits (subscriptions per client, token).
    public var brokerLimits = Broker.Limits()
    /// How long a new connection has to send its hello.
    public var helloTimeout: Duration = .seconds(30)
    /// The most clients served at once.
    public var maximumClients = 1024
    /// After this long without hearing from a client the server sends `PING`; after as long
    /// again without an answer it disconnects the client as dead.
    public var pingInterval: Duration = .seconds(30)
    /// Whether each message is shown on the display (`--quiet` turns it off).
    public var showsMessages = true

    /// The defaults.
    public init() {}
  }

  /// The shared state.
  public let broker: Broker
  private let acceptor: ThreadPerConnection
  private let log: ActivityLog
  private let configuration: Configuration
  // Guarded inside `Guarded`: the next client number.
  private let nextNumber = Guarded(1)
  private let stopping = Guarded(false)
  /// Signalled when `stop()` has finished, so that `run()` returns only then.
  private let stopped = DispatchSemaphore(value: 0)

  /// Creates a server on a bound listener.
  public init(listener: Listener, log: ActivityLog, configuration: Configuration = .init()) {
    broker = Broker(limits: configuration.brokerLimits)
    acceptor = ThreadPerConnection(
      listener: listener, maximumConnections: configuration.maximumClients)
    self.log = log
    self.configuration = configuration
  }

  /// The port the server listens on.
  public var port: UInt16 { acceptor.listener.localPort }

  /// Serves clients until `stop()` has finished.
  public func run() {
    let sweeper = Thread { [self] in sweep() }
    sweeper.name = "keepalive"
    sweeper.start()
    acceptor.run(
      serve: { [self] connection in serve(connection) },
      refuse: { [log, configuration] connection in
        log.post("\(connection.peer) refused: \(configuration.maximumClients) clients connected")
        try? connection.socket.setSendTimeout(.seconds(1))
        try? connection.sendAll("-ERR too many clients (limit \(configuration.maximumClients))\n")
        connection.close()
      })
    stopped.wait()
  }

  /// Stops accepting, tells every client, waits (until `deadline` at most) for queued
  /// deliveries to go out, then lets `run()` return.
  public func stop(deadline: Date = Date(timeIntervalSinceNow: 0.8)) {
    stopping.value = true
    acceptor.stop()
    let clients = broker.clients
    for client in clients { client.outbox.close(finalLine: "-ERR server shutting down") }
    for client in clients { client.outbox.waitUntilFinished(before: deadline) }
    stopped.signal()
  }

  // MARK: - One connection

  /// Serves one connection, on its own thread, from hello to goodbye.
  private func serve(_ connection: Connection) {
    let number = nextNumber.withLock { number in
      defer { number += 1 }
      return number
    }
    let outbox = Outbox(connection: connection, limits: configuration.outboxLimits)
    outbox.start()
    // The hello has a deadline for the whole line, not per read: otherwise a client trickling
    // a byte just inside each timeout would hold its thread forever.
    let helloDeadline = ContinuousClock.now + configuration.helloTimeout
    var session = Session(server: self, connection: connection, outbox: outbox, number: number)
    var framer = LineFramer(maximumLineLength: configuration.maximumLineLength)
    let buffer = ReceiveBuffer()

    reading: while session.isOpen {
      let chunk: UnsafeRawBufferPointer
      do {
        if !session.hasJoined {
          let remaining = helloDeadline - ContinuousClock.now
          guard remaining > .zero else { throw SocketError.timedOut }
          try connection.socket.setReceiveTimeout(remaining)
        }
        chunk = try buffer.receive(from: connection)
      } catch SocketError.timedOut {
        session.end(
          farewell: "-ERR no HELLO within \(configuration.helloTimeout)", reason: "no HELLO in time"
        )
        break
      } catch {
        session.end(farewell: nil, reason: "connection lost: \(error)")
        break
      }
      if chunk.isEmpty { break }
      session.heardFrom()
      framer.append(chunk)
      do {
        while session.isOpen, let line = try framer.nextLine() { session.handle(line) }
      } catch {
        session.end(farewell: "-ERR \(error); closing", reason: "\(error)")
      }
      session.flush()
      // Let go of the route before waiting for the next read: a publisher that goes quiet
      // must not keep departed subscribers' outboxes, and so their connections, alive.
      session.forgetRoute()
    }
    session.finish()
  }

  // MARK: - Keepalive and rates

  /// Once a second: sample the rates, ping silent clients, drop those that never answered.
  private func sweep() {
    let interval = configuration.pingInterval
    let intervalNanoseconds =
      Int64(interval.components.seconds) * 1_000_000_000
      + Int64(interval.components.attoseconds / 1_000_000_000)
    let tick = min(1.0, Double(intervalNanoseconds) / 4e9)
    var lastSample = monotonicNanoseconds()
    while !stopping.value {
      Thread.sleep(forTimeInterval: tick)  // a periodic timer, not synchronisation
      let now = monotonicNanoseconds()
      if now - lastSample >= 1_000_000_000 {
        broker.sampleRates(overSeconds: Double(now - lastSample) / 1e9)
        lastSample = now
      }
      for client in broker.clients {
        let pingSent = client.pingSent.load(ordering: .relaxed)
        if pingSent != 0 {
          if now - pingSent >= intervalNanoseconds {
            client.disconnectReason.value = "no PONG within \(interval): presumed dead"
            client.outbox.close(finalLine: "-ERR no PONG within \(interval); disconnecting")
          }
        } else if now - client.lastHeard.load(ordering: .relaxed) >= intervalNanoseconds {
          client.pingSent.store(now, ordering: .relaxed)
          client.outbox.enqueue(line: "PING")
        }
      }
    }
  }

  // MARK: - Session

  /// One connection's state, owned by its thread: no lock needed for anything in here.
  private struct Session {
    let server: BrokerServer
    let connection: Connection
    let outbox: Outbox
    let number: Int
    var client: BrokerClient?
    var isOpen = true
    var farewell: String?
    var reason = "left"

    // The current run of messages: consecutive publishes to one topic within one read,
    // delivered together by `flush()`.
    var runTopic: [UInt8] = []
    var runRoute: Route?
    var runPrefix: [UInt8] = []
    var runBytes: [UInt8] = []
    var runCount = 0
    var published = 0
    var delivered = 0

    init(server: BrokerServer, connection: Connection, outbox: Outbox, number: Int) {
      self.server = server
      self.connection = connection
      self.outbox = outbox
      self.number = number
    }

    var log: ActivityLog { server.log }
    var hasJoined: Bool { client != nil }
    var broker: Broker { server.broker }

    func heardFrom() {
      client?.heardFrom(at: monotonicNanoseconds())
    }

    mutating func end(farewell: String?, reason: String) {
      self.farewell = farewell
      self.reason = reason
      isOpen = false
    }

    func reply(_ line: String) {
      outbox.enqueue(line: line)
    }

    /// Refuses a command: the client is told why, and the refusal is shown on the display.
    func refuse(_ reason: String) {
      let reason = reason.escapingControlCharacters
      reply("-ERR \(reason)")
      log.post("\(client?.name ?? connection.peer.description) refused: \(reason)")
    }

    /// Handles one line: the hello first, then commands.
    mutating func handle(_ line: ArraySlice<UInt8>) {
      guard let client else {
        hello(line)
        return
      }
      let command: Command
      do {
        command = try Command(parsing: line)
      } catch {
        flush()
        refuse(error.message)
        return
      }
      if case .publish(let topic, let text) = command {
        publish(topic: topic, text: text, from: client)
        return
      }
      flush()  // keep replies and deliveries in the order the client sent the commands
      execute(command, from: client)
    }

    mutating func hello(_ line: ArraySlice<UInt8>) {
      do {
        let hello = try BrokerHello(parsing: line)
        let joined = try broker.join(
          hello, number: number, peer: connection.peer, outbox: outbox)
        client = joined
        try? connection.socket.setReceiveTimeout(nil)
        reply("+OK HELLO \(joined.name)")
        log.post("\(joined.name) joined from \(connection.peer) as \(joined.role)")
      } catch let error as ProtocolError {
        end(farewell: "-ERR \(error.message)", reason: "refused: \(error.message)")
      } catch {
        end(farewell: "-ERR \(error)", reason: "refused: \(error)")
      }
    }

    /// The hot path. No `String`, no lock while the route is current.
    mutating func publish(
      topic: ArraySlice<UInt8>, text: ArraySlice<UInt8>, from client: BrokerClient
    ) {
      if runRoute == nil || !topic.elementsEqual(runTopic)
        || runRoute!.generation != broker.currentGeneration
      {
        flush()
        if let problem = Topic.validateName(topic) {
          refuse("\(problem)")
          return
        }
        guard client.role == .publisher else {
          refuse("subscribers cannot publish; connect as PUBLISHER")
          return
        }
        runTopic = Array(topic)
        runRoute = broker.route(for: String(decoding: topic, as: UTF8.self))
        runPrefix = Array("MSG ".utf8) + runTopic + [0x20] + Array(client.name.utf8) + [0x20]
      }
      runBytes.append(contentsOf: runPrefix)
      runBytes.append(contentsOf: text)
      runBytes.append(0x0A)
      runCount += 1
      if server.configuration.showsMessages {
        log.post(
          "\(client.name) -> \(String(decoding: topic, as: UTF8.self)): \(String(lineBytes: text).escapingControlCharacters)"
        )
      }
    }

    /// Drops the cached route (after `flush()`); the next publish looks it up again, once.
    mutating func forgetRoute() {
      runRoute = nil
      runTopic.removeAll(keepingCapacity: true)
    }

    /// Delivers the current run: one enqueue per subscriber for all its messages.
    mutating func flush() {
      guard runCount > 0, let route = runRoute else { return }
      runBytes.withUnsafeBytes { bytes in
        for subscriber in route.outboxes where subscriber.enqueue(bytes) == .overflowed {
          log.post("\(subscriber.connection.peer) is a slow consumer: disconnecting it")
        }
      }
      published += runCount
      delivered += runCount * route.outboxes.count
      route.counter?.published.add(runCount, ordering: .relaxed)
      route.counter?.delivered.add(runCount * route.outboxes.count, ordering: .relaxed)
      runBytes.removeAll(keepingCapacity: runBytes.capacity <= 1 << 20)
      runCount = 0
      broker.count(published: published, delivered: delivered)
      published = 0
      delivered = 0
    }

    /// Runs every command but `PUB`.
    mutating func execute(_ command: Command, from client: BrokerClient) {
      switch command {
      case .publish:
        break  // handled on the hot path
      case .subscribe(let filter):
        do {
          try broker.subscribe(client, to: filter)
          reply("+OK subscribed to \(filter)")
          log.post("\(client.name) subscribed to \(filter)")
        } catch {
          refuse("\(error)")
        }
      case .unsubscribe(let filter):
        do {
          try broker.unsubscribe(client, from: filter)
          reply("+OK unsubscribed from \(filter)")
          log.post("\(client.name) unsubscribed from \(filter)")
        } catch {
          refuse("\(error)")
        }
      case .direct(let name, let text):
        guard let recipient = broker.client(named: name) else {
          refuse("no client named \(name)")
          return
        }
        recipient.outbox.enqueue(line: "DM \(client.name) \(text)")
        reply("+OK sent to \(name)")
        if server.configuration.showsMessages {
          log.post("\(client.name) -> \(name) (direct): \(text.escapingControlCharacters)")
        }
      case .say(let text):
        log.post("\(client.name) says: \(text.escapingControlCharacters)")
      case .topics:
        reply(broker.topicsReply)
      case .who:
        reply(broker.whoReply)
      case .stats:
        reply(broker.statistics.line)
      case .help:
        reply("+OK HELP \(Command.helpText)")
      case .ping:
        reply("PONG")
      case .pong:
        break  // `heardFrom()` already noted that the client is alive
      case .quit:
        end(farewell: "+OK bye", reason: "sent terminate; left")
      }
    }

    /// Ends the session: leaves the broker, says goodbye, shows why.
    mutating func finish() {
      flush()
      if let client {
        broker.leave(client)
        if let brokerReason = client.disconnectReason.value {
          reason = "disconnected: \(brokerReason)"
        }
      }
      if case .slowConsumer(let limit)? = outbox.endReason {
        reason = "disconnected: slow consumer (more than \(limit) bytes queued)"
      }
      outbox.close(finalLine: farewell)
      log.post("\(client?.name ?? connection.peer.description) \(reason)")
    }
  }
}
