import Foundation
import Task1Echo
import Task2Roles
import Task3Topics

/// One node of Task 4's broker group: Task 3's topic broker, made into a primary or a backup
/// that copies every message to its peer before acknowledging or delivering it.
///
/// The threads of one node:
/// ```text
/// acceptor ─┬─ one thread per client connection (ClientSession): hello, commands, PUBSEQ
///           └─ a peer's HELLO PEER: this primary's backup link, a sender and a reader thread
/// dispatcher        committed entries -> subscribers' outboxes, +ACK -> publishers
/// peer connector    a backup joins its primary and follows its log; a lone primary checks
///                   that its peer is not a newer primary
/// ticker            PING to every client connection quiet for a heartbeat interval
/// ```
/// The state they share lives in `ReplicaCore`, behind one lock; the role and epoch rules are
/// `NodeState`'s; the data is `ReplicationState`'s. This type wires them to the sockets.
public final class ReplicatedBroker: Sendable {
  /// A node's settings.
  public struct Configuration: Sendable {
    /// The node's name in its group, sent to its peer.
    public var id: String
    /// The peer's address; a node started as primary may leave it out and learn it from the
    /// backup that joins.
    public var peer: BrokerAddress?
    /// Whether to become primary at start when the peer is down or just starting.
    public var startsAsPrimary = false
    /// The history kept per topic.
    public var retention = RetentionLimits.standard
    /// How often heartbeats go out, and how often a quiet client is pinged.
    public var heartbeatInterval = FailureDetector.standardInterval
    /// The silence after which the peer is presumed dead.
    public var failureTimeout = FailureDetector.standardTimeout
    /// Whether each message is shown on the display (`--quiet` turns it off).
    public var showsMessages = true
    /// The longest line accepted from a client, in bytes.
    public var maximumLineLength = LineFramer.defaultMaximumLineLength
    /// Every client's outbound queue limits.
    public var outboxLimits = Outbox.Limits.standard
    /// How long a new connection has to send its hello.
    public var helloTimeout: Duration = .seconds(30)
    /// The most connections served at once (clients and peer links).
    public var maximumClients = 1024
    /// Task 3's broker limits (subscriptions per client, token).
    public var brokerLimits = Broker.Limits()

    /// Creates the defaults for a node named `id`.
    public init(id: String) {
      self.id = id
    }
  }

  /// The Task 3 broker: connected clients, names and subscriptions.
  public let broker: Broker
  let core: ReplicaCore
  let log: ActivityLog
  let configuration: Configuration
  private let acceptor: ThreadPerConnection
  private let dispatcher: Dispatcher
  // Guarded inside `Guarded`: the connected clients' channels by client number, for pings.
  let channels = Guarded<[Int: ClientChannel]>([:])
  // Guarded inside `Guarded`: the next connection number.
  private let nextNumber = Guarded(1)
  /// Signalled when `stop()` has finished, so that `run()` returns only then.
  private let stopped = DispatchSemaphore(value: 0)

  /// Creates a node on a bound listener.
  public init(listener: Listener, log: ActivityLog, configuration: Configuration) {
    broker = Broker(limits: configuration.brokerLimits)
    core = ReplicaCore(
      node: NodeState(id: configuration.id, startsAsPrimary: configuration.startsAsPrimary),
      retention: configuration.retention, peerAddress: configuration.peer,
      listenPort: listener.localPort)
    acceptor = ThreadPerConnection(
      listener: listener, maximumConnections: configuration.maximumClients)
    dispatcher = Dispatcher(core: core, broker: broker)
    self.log = log
    self.configuration = configuration
  }

  /// The port the node listens on.
  public var port: UInt16 { acceptor.listener.localPort }

  /// This node and its peer as the live view shows them: role, epoch and, on a primary, the
  /// replication lag (entries logged but not yet held by the backup).
  public var liveViewNodes: [LiveViewState.Node] {
    let summary = core.summary
    let isPrimary = summary.role == .primary
    var nodes = [
      LiveViewState.Node(
        name: configuration.id, address: "127.0.0.1:\(port)",
        role: isPrimary ? "primary" : "backup",
        epoch: Int(summary.epoch),
        replicationLagMessages: isPrimary ? Int(summary.lastIndex - summary.commitIndex) : nil,
        isServingThisView: true)
    ]
    if let peer = core.knownPeerAddress {
      let role = isPrimary ? (summary.hasBackup ? "backup" : "down") : "primary"
      nodes.append(
        LiveViewState.Node(
          name: "peer", address: peer.description, role: role, epoch: Int(summary.epoch)))
    }
    return nodes
  }

  /// Serves until `stop()` has finished.
  public func run() {
    dispatcher.start()
    startThread("peer connector") { [self] in runConnector() }
    startThread("ticker") { [self] in runTicker() }
    acceptor.run(
      serve: { [self] connection in serve(connection) },
      refuse: { [log, configuration] connection in
        log.post("\(connection.peer) refused: \(configuration.maximumClients) connections open")
        try? connection.socket.setSendTimeout(.seconds(1))
        try? connection.sendAll("-ERR too many clients (limit \(configuration.maximumClients))\n")
        connection.close()
      })
    stopped.wait()
  }

  /// Stops accepting, tells every client, waits (until `deadline` at most) for queued lines
  /// to go out, then lets `run()` return.
  public func stop(deadline: Date = Date(timeIntervalSinceNow: 1)) {
    core.stop()
    acceptor.stop()
    let clients = broker.clients
    for client in clients { client.outbox.close(finalLine: "-ERR server shutting down") }
    for client in clients { client.outbox.waitUntilFinished(before: deadline) }
    stopped.signal()
  }

  func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.name = name
    thread.start()
  }

  /// Reads a new connection's first line and hands the connection to a client session or,
  /// for `HELLO PEER`, to the backup link.
  private func serve(_ connection: Connection) {
    let number = nextNumber.withLock { number in
      defer { number += 1 }
      return number
    }
    var reader = LineReader(connection: connection, maximumLineLength: peerLineLength)
    let first: String?
    do {
      first = try reader.readLine(before: .now + configuration.helloTimeout)
    } catch SocketError.timedOut {
      try? connection.sendAll("-ERR no HELLO within \(configuration.helloTimeout); closing\n")
      connection.close()
      return
    } catch {
      try? connection.sendAll("-ERR \(error)\n")
      connection.close()
      return
    }
    guard let first else {
      connection.close()
      return
    }
    if first.hasPrefix("HELLO PEER") {
      servePeer(reader, hello: first)
    } else {
      serveClient(reader, hello: first, number: number)
    }
  }

  /// The longest line on a peer link: a client's longest line plus the `REP` header.
  var peerLineLength: Int { max(configuration.maximumLineLength, 4096) + 1024 }

  /// Pings every client connection that was quiet for a heartbeat interval, so that a client
  /// never mistakes a quiet broker for a dead one.
  private func runTicker() {
    let interval = configuration.heartbeatInterval
    while !core.stopping {
      Thread.sleep(forTimeInterval: interval.seconds / 2)  // a periodic timer
      let now = monotonicNow()
      for channel in channels.value.values where channel.isQuiet(for: interval, at: now) {
        channel.send("PING")
      }
    }
  }

  /// Logs a change of role and carries out what it means outside the lock.
  func announce(_ change: NodeState.Change?) {
    guard let change else { return }
    switch change {
    case .becamePrimary(let epoch, let reason):
      let summary = core.summary
      log.post(
        "PRIMARY in epoch \(epoch): \(reason); the log reaches index \(summary.lastIndex), "
          + "all of it committed")
    case .joinedPrimary:
      break  // logged when the snapshot is in
    case .steppedDown(let epoch, let reason):
      log.post("stepping down to BACKUP in epoch \(epoch): \(reason); disconnecting clients")
      for client in broker.clients {
        client.outbox.close(finalLine: "\(PeerMessage.notPrimary) epoch=\(epoch)")
      }
    case .lostPrimary(let reason):
      log.post("primary lost: \(reason)")
    case .backupAttached:
      break  // logged by the link with the snapshot size
    case .backupDetached:
      log.post(
        "backup lost: carrying on alone; acknowledgements now mean one copy until a backup joins")
    }
  }
}
