import Foundation
import Task1Echo

/// Task 2's server: many clients at once, each a publisher or a subscriber; every line a
/// publisher sends is delivered to every subscriber and to no publisher.
///
/// The path of one published line:
/// ```
/// publisher's thread: recv -> LineFramer -> "MSG publisher-3 text\n" (one batch per read)
///   -> registry.subscribers (a snapshot, under the registry lock)
///   -> each subscriber's Outbox.enqueue (its own short lock; never blocks on the network)
/// subscriber's writer thread: everything queued -> one send()
/// ```
public final class RoleServer: Sendable {
  /// The server's tunable limits.
  public struct Configuration: Sendable {
    /// The longest line accepted, in bytes.
    public var maximumLineLength = LineFramer.defaultMaximumLineLength
    /// The outbound queue limits of every client.
    public var outboxLimits = Outbox.Limits.standard
    /// How long a new connection has to send its hello.
    public var helloTimeout: Duration = .seconds(30)
    /// The most clients served at once.
    public var maximumClients = 1024
    /// Whether every line is shown on the display (`--quiet` turns it off for benchmarks).
    public var showsMessages = true

    /// The defaults.
    public init() {}
  }

  private let acceptor: ThreadPerConnection
  private let registry = ClientRegistry()
  private let log: ActivityLog
  private let configuration: Configuration
  // Guarded inside `Guarded`: the next client number.
  private let nextNumber = Guarded(1)
  /// Signalled when `stop()` has finished, so that `run()` returns only then.
  private let stopped = DispatchSemaphore(value: 0)

  /// Creates a server on a bound listener.
  public init(listener: Listener, log: ActivityLog, configuration: Configuration = .init()) {
    acceptor = ThreadPerConnection(
      listener: listener, maximumConnections: configuration.maximumClients)
    self.log = log
    self.configuration = configuration
  }

  /// The port the server listens on.
  public var port: UInt16 { acceptor.listener.localPort }

  /// Serves clients until `stop()`.
  public func run() {
    acceptor.run(
      serve: { [self] connection in serve(connection) },
      refuse: { [log] connection in
        log.post("\(connection.peer) refused: too many clients")
        try? connection.socket.setSendTimeout(.seconds(1))
        try? connection.sendAll("-ERR too many clients; try again later\n")
        connection.close()
      })
    // The accept loop ends as soon as `stop()` closes the listener; wait for `stop()` to
    // finish telling the clients, or the process would exit in the middle of it.
    stopped.wait()
  }

  /// Stops accepting, tells every client the server is shutting down, and waits (until
  /// `deadline` at most) for what is queued to be sent. Then `run` returns.
  public func stop(deadline: Date = Date(timeIntervalSinceNow: 0.8)) {
    acceptor.stop()
    let clients = registry.all
    for client in clients {
      client.outbox.close(finalLine: "-ERR server shutting down")
    }
    for client in clients {
      client.outbox.waitUntilFinished(before: deadline)
    }
    stopped.signal()
  }

  /// The number of clients connected now.
  public var clientCount: Int { registry.count }

  /// Serves one connection from hello to goodbye, on its own thread. Nothing thrown here
  /// reaches the server: one client's failure ends that client only.
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

    var client: Client?
    var messagePrefix: [UInt8] = []
    var framer = LineFramer(maximumLineLength: configuration.maximumLineLength)
    let buffer = ReceiveBuffer()
    var batch: [UInt8] = []
    var farewell: String?
    var reason = "left"

    reading: while true {
      let chunk: UnsafeRawBufferPointer
      do {
        if client == nil {
          let remaining = helloDeadline - ContinuousClock.now
          guard remaining > .zero else { throw SocketError.timedOut }
          try connection.socket.setReceiveTimeout(remaining)
        }
        chunk = try buffer.receive(from: connection)
      } catch SocketError.timedOut {
        farewell = "-ERR no HELLO within \(configuration.helloTimeout); closing"
        reason = "closed: no HELLO in time"
        break
      } catch {
        reason = "connection lost: \(error)"
        break
      }
      if chunk.isEmpty { break }
      framer.append(chunk)
      batch.removeAll(keepingCapacity: true)
      do {
        while let line = try framer.nextLine() {
          guard let current = client else {
            guard let role = Hello.parse(line) else {
              farewell = "-ERR expected HELLO PUBLISHER or HELLO SUBSCRIBER"
              reason = "refused: bad hello '\(String(lineBytes: line).escapingControlCharacters)'"
              break reading
            }
            let joined = Client(
              number: number, role: role, name: "\(role.word)-\(number)", peer: connection.peer,
              outbox: outbox)
            client = joined
            messagePrefix = Array("MSG \(joined.name) ".utf8)
            try? connection.socket.setReceiveTimeout(nil)
            registry.add(joined)
            outbox.enqueue(line: "+OK \(joined.name)")
            log.post("\(joined.name) joined from \(connection.peer) as \(role)")
            continue
          }
          if isTerminateCommand(bytes: line) {
            farewell = "+OK bye"
            reason = "sent terminate; left"
            deliver(batch)
            break reading
          }
          if configuration.showsMessages {
            let text = String(lineBytes: line).escapingControlCharacters
            switch current.role {
            case .publisher: log.post("\(current.name): \(text)")
            case .subscriber: log.post("\(current.name) (subscriber, not delivered): \(text)")
            }
          }
          if current.role == .publisher {
            batch.append(contentsOf: messagePrefix)
            batch.append(contentsOf: line)
            batch.append(0x0A)
          }
        }
      } catch {
        farewell = "-ERR \(error); closing"
        reason = "closed: \(error)"
        break
      }
      deliver(batch)
    }

    if let client { registry.remove(number: client.number) }
    if case .slowConsumer(let limit)? = outbox.endReason {
      reason = "disconnected: slow consumer (more than \(limit) bytes queued)"
    }
    outbox.close(finalLine: farewell)
    log.post("\(client?.name ?? connection.peer.description) \(reason)")
  }

  /// Hands one read's worth of messages to every subscriber: one enqueue per subscriber per
  /// read, however many lines the read held.
  private func deliver(_ batch: [UInt8]) {
    guard !batch.isEmpty else { return }
    batch.withUnsafeBytes { bytes in
      for outbox in registry.subscribers where outbox.enqueue(bytes) == .overflowed {
        // Reported once, here; the subscriber's own thread logs the disconnection.
        log.post("\(outbox.connection.peer) is a slow consumer: disconnecting it")
      }
    }
  }
}
