import Foundation
import Task1Echo
import Task3Topics

/// One message a session asks to publish: a `PUBSEQ` (with an origin) or a plain `PUB`.
struct PublishRequest {
  var topic: String
  var text: String
  var origin: LogEntry.Origin?
}

/// A subscriber asking for a stream: the dispatcher sends its hello reply, its catch-up and
/// then its live messages, all from one thread, in index order.
struct FeedRequest {
  var channel: ClientChannel
  var filters: [String]
  var start: FailoverHello.StartPosition?
  /// The name to remember the position under, for a durable subscriber.
  var durableName: String?
  /// Whether deliveries carry indexes (a Task 4 subscriber) or not (a Task 3 one).
  var wantsIndexes: Bool
}

/// One round of work for the dispatcher, taken under the lock and carried out outside it.
struct Delivery {
  /// A new subscriber with its starting position and catch-up.
  struct NewFeed {
    var request: FeedRequest
    var after: UInt64
    var catchUp: [LogEntry]
    var expired: Int
  }

  /// Forget every feed: the node stepped down.
  var resetsFeeds = false
  var removedFeeds: [ObjectIdentifier] = []
  var newFeeds: [NewFeed] = []
  var epoch: UInt64 = 0
  /// Committed entries for the live subscribers, in index order.
  var entries: [LogEntry] = []
  /// `+ACK` lines owed to publishers.
  var acknowledgements: [(channel: ClientChannel, sequence: UInt64)] = []
}

/// What the broker's own peer connector should do next.
enum ConnectorPlan {
  /// Nothing: this node is a primary with a backup, or it knows no peer address yet.
  case wait
  /// Join the peer as its backup (or find out who should be primary): send `hello`.
  case join(BrokerAddress, hello: PeerMessage)
  /// This primary is alone: check that the peer is not a newer primary.
  case probe(BrokerAddress, hello: PeerMessage)
}

/// How a peer answered a hello, as the prober saw it.
enum ProbeResult {
  /// Nothing listens, or no answer came in time.
  case unreachable
  /// `+OK PEER`.
  case primary(id: String, epoch: UInt64)
  /// `-ERR not primary`.
  case notPrimary(PeerStatus)
}

/// How to answer a peer's `HELLO PEER`.
enum PeerAttachment {
  /// `-ERR not primary` with this status; close.
  case refuse(PeerStatus)
  /// `+OK PEER` and close: the peer must step down.
  case confirm(id: String, epoch: UInt64)
  /// `+OK PEER`, the snapshot, then the live link numbered `generation`.
  case accept(generation: Int, snapshot: Snapshot, epoch: UInt64)
}

/// Work for the thread that sends the primary's log to its backup.
enum ReplicationWork {
  /// Lines to send (`REP`, `POS`).
  case lines([String])
  /// Nothing new for a heartbeat interval: send this heartbeat.
  case heartbeat(String)
  /// The link is no longer this node's backup link: stop.
  case ended
}

/// The numbers `STATS` and the heartbeats report.
struct NodeSummary {
  var role: NodeRole
  var epoch: UInt64
  var hasBackup: Bool
  var lastIndex: UInt64
  var commitIndex: UInt64
  var retained: Int
  var producers: Int
  var durables: Int
}

/// The replicated broker's shared state: the node's role and epoch, the replicated data, the
/// acknowledgements owed, and the work queued for the dispatcher and the backup link.
///
/// Everything here is guarded by `condition`'s lock, and every method takes it once and does
/// no I/O while holding it: it returns what must be sent, and the caller sends it. The threads
/// that wait for work (the dispatcher and the backup link's sender) wait on `condition`, which
/// is broadcast after every change. One lock for all of it keeps the
/// invariants that matter in one place: an entry is delivered only after it is committed, and
/// a new subscriber's catch-up ends exactly where its live stream begins.
final class ReplicaCore: @unchecked Sendable {
  /// A `+ACK` owed to a publisher once an entry is committed.
  struct Acknowledgement {
    var channel: ClientChannel
    var sequence: UInt64
  }

  /// This primary's link to its backup. Every new link gets a new generation, so that the
  /// threads of a replaced link notice and stop.
  private struct BackupLink {
    var generation: Int
    /// The newest index sent to the backup.
    var sentThrough: UInt64
    var lastSent = Date()
  }

  /// The port this node listens on, announced in its hellos.
  let listenPort: UInt16
  private let condition = NSCondition()
  // Guarded by `condition`:
  private var node: NodeState
  private var replication: ReplicationState
  private var peerAddress: BrokerAddress?
  private var pendingAcknowledgements: [UInt64: Acknowledgement] = [:]
  private var deferredAcknowledgements: [(index: UInt64, acknowledgement: Acknowledgement)] = []
  private var feedRequests: [FeedRequest] = []
  private var feedRemovals: [ObjectIdentifier] = []
  private var feedsReset = false
  private var backupLink: BackupLink?
  private var linkGeneration = 0
  private var positionsForBackup: [DurablePosition] = []
  private var isStopping = false

  init(
    node: NodeState, retention: RetentionLimits, peerAddress: BrokerAddress?, listenPort: UInt16
  ) {
    self.node = node
    self.replication = ReplicationState(retention: retention)
    self.peerAddress = peerAddress
    self.listenPort = listenPort
  }

  private func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
    condition.lock()
    defer {
      condition.broadcast()
      condition.unlock()
    }
    return try body()
  }

  /// Wakes every waiting thread and makes the waits return `nil`/`.ended` from now on.
  func stop() {
    locked { isStopping = true }
  }

  var stopping: Bool { locked { isStopping } }

  /// The peer's address, given or learned from its `HELLO PEER`.
  var knownPeerAddress: BrokerAddress? {
    locked { peerAddress }
  }

  var summary: NodeSummary {
    locked {
      NodeSummary(
        role: node.role, epoch: node.epoch, hasBackup: node.hasBackup,
        lastIndex: replication.lastIndex, commitIndex: replication.commitIndex,
        retained: replication.log.retainedCount, producers: replication.deduplication.count,
        durables: replication.durables.count)
    }
  }

  // MARK: - Changes of role

  /// Applies the side effects of `change` to the replicated state. Call with the lock held.
  private func applyLocked(_ change: NodeState.Change?) {
    switch change {
    case .becamePrimary:
      replication.promote()
      endBackupLinkLocked()
      pendingAcknowledgements = [:]
      deferredAcknowledgements = []
    case .steppedDown:
      // The data stays until the new primary's snapshot replaces it: if that primary died
      // first, this copy would be the best left.
      endBackupLinkLocked()
      pendingAcknowledgements = [:]
      deferredAcknowledgements = []
      feedRequests = []
      feedsReset = true
    case .backupDetached:
      endBackupLinkLocked()
      replication.commit(through: replication.lastIndex)
    case .joinedPrimary, .lostPrimary, .backupAttached, nil:
      break
    }
  }

  private func endBackupLinkLocked() {
    backupLink = nil
    positionsForBackup = []
    linkGeneration += 1
  }

  // MARK: - Clients

  /// Decides whether to serve a client that said hello; a backup that lost its primary takes
  /// over here (the client vote).
  func admitClient() -> (serve: Bool, epoch: UInt64, status: PeerStatus, change: NodeState.Change?)
  {
    locked {
      let (serve, change) = node.clientArrived()
      applyLocked(change)
      return (serve, node.epoch, node.status(lastIndex: replication.lastIndex), change)
    }
  }

  /// Appends a read's worth of messages and returns the replies to send at once: errors,
  /// and acknowledgements of duplicates that are already delivered. Acknowledgements of new
  /// messages come later, from the dispatcher, once they are committed.
  ///
  /// - Returns: The replies, and whether this node is no longer primary (close the client).
  func publish(_ requests: [PublishRequest], sender: String, channel: ClientChannel)
    -> (replies: [String], notPrimary: Bool)
  {
    locked {
      guard node.role == .primary else {
        return (["\(PeerMessage.notPrimary) epoch=\(node.epoch)"], true)
      }
      var replies: [String] = []
      for request in requests {
        switch replication.publish(
          topic: request.topic, sender: sender, origin: request.origin, text: request.text,
          epoch: node.epoch)
        {
        case .appended(let entry):
          if let origin = entry.origin {
            pendingAcknowledgements[entry.index] = Acknowledgement(
              channel: channel, sequence: origin.sequence)
          }
        case .duplicate(let index):
          let sequence = request.origin?.sequence ?? 0
          if index <= replication.deliveredIndex {
            replies.append("+ACK \(sequence)")
          } else {
            deferredAcknowledgements.append(
              (index, Acknowledgement(channel: channel, sequence: sequence)))
          }
        case .gap(let expected):
          replies.append("-ERR sequence gap: expected \(expected)")
        }
      }
      if !node.hasBackup { replication.commit(through: replication.lastIndex) }
      return (replies, false)
    }
  }

  /// Queues a subscriber for the dispatcher.
  func requestFeed(_ request: FeedRequest) {
    locked { feedRequests.append(request) }
  }

  /// Tells the dispatcher to forget a subscriber that left.
  func removeFeed(_ channel: ClientChannel) {
    locked { feedRemovals.append(ObjectIdentifier(channel.outbox)) }
  }

  /// Records a durable subscriber's position (`ACK`), or its filters after `SUB`/`UNSUB`, and
  /// queues it for the backup.
  func recordPosition(name: String, index: UInt64, filters: [String]? = nil) {
    locked {
      // A position never moves back (`recordPosition` keeps the higher one), nor past the log.
      replication.recordPosition(
        name: name, index: min(index, replication.lastIndex), filters: filters)
      if backupLink != nil, let position = replication.durables[name] {
        positionsForBackup.append(position)
      }
    }
  }

  // MARK: - The dispatcher

  /// Waits (until `deadline` at most) for something to deliver, then takes it.
  ///
  /// - Returns: `nil` once the broker is stopping.
  func takeDelivery(waitingUntil deadline: Date) -> Delivery? {
    condition.lock()
    defer { condition.unlock() }
    while !isStopping && !hasDeliveryLocked() {
      if !condition.wait(until: deadline) { break }
    }
    if isStopping { return nil }
    var delivery = Delivery()
    delivery.epoch = node.epoch
    delivery.resetsFeeds = feedsReset
    feedsReset = false
    delivery.removedFeeds = feedRemovals
    feedRemovals = []
    guard node.role == .primary else {
      feedRequests = []
      return delivery
    }
    // New subscribers first: their catch-up ends at the delivery index *before* this round's
    // entries, which they then receive live with everyone else.
    let before = replication.deliveredIndex
    for request in feedRequests {
      delivery.newFeeds.append(newFeedLocked(request, deliveredThrough: before))
    }
    feedRequests = []
    delivery.entries = replication.takeDeliverable()
    for entry in delivery.entries {
      if let owed = pendingAcknowledgements.removeValue(forKey: entry.index) {
        delivery.acknowledgements.append((owed.channel, owed.sequence))
      }
    }
    let delivered = replication.deliveredIndex
    deferredAcknowledgements.removeAll { deferred in
      guard deferred.index <= delivered else { return false }
      delivery.acknowledgements.append(
        (deferred.acknowledgement.channel, deferred.acknowledgement.sequence))
      return true
    }
    return delivery
  }

  /// Call with the lock held.
  private func hasDeliveryLocked() -> Bool {
    feedsReset || !feedRemovals.isEmpty || !feedRequests.isEmpty
      || replication.commitIndex > replication.deliveredIndex
  }

  /// Resolves a subscriber's starting position and collects its catch-up. Call with the lock
  /// held.
  private func newFeedLocked(_ request: FeedRequest, deliveredThrough before: UInt64)
    -> Delivery.NewFeed
  {
    var after: UInt64
    switch request.start {
    case .after(let index): after = index
    case .now: after = before
    case nil:
      let remembered = request.durableName.flatMap { replication.durables[$0]?.index }
      after = remembered ?? before
    }
    // A position this node has never reached cannot have come from this group; start live.
    if after > replication.lastIndex { after = before }
    let filters = FilterSet(request.filters)
    let (catchUp, expired) = replication.log.entries(
      after: after, through: before, onTopicsMatching: filters.matches)
    if let name = request.durableName {
      replication.recordPosition(name: name, index: after, filters: request.filters)
      if backupLink != nil, let position = replication.durables[name] {
        positionsForBackup.append(position)
      }
    }
    return Delivery.NewFeed(request: request, after: after, catchUp: catchUp, expired: expired)
  }

  // MARK: - The primary's side of the backup link

  /// Answers a peer's `HELLO PEER`; on `.accept` this node's backup link is now the one with
  /// the returned generation, and commits wait for it.
  func attachPeer(_ peer: PeerStatus, announcedAddress: BrokerAddress) -> (
    PeerAttachment, NodeState.Change?
  ) {
    locked {
      peerAddress = announcedAddress
      let (answer, change) = node.peerArrived(peer)
      applyLocked(change)
      switch answer {
      case .refuse:
        return (.refuse(node.status(lastIndex: replication.lastIndex)), change)
      case .confirmPrimary:
        return (.confirm(id: node.id, epoch: node.epoch), change)
      case .acceptAsBackup:
        endBackupLinkLocked()
        backupLink = BackupLink(generation: linkGeneration, sentThrough: replication.lastIndex)
        return (
          .accept(generation: linkGeneration, snapshot: replication.snapshot(), epoch: node.epoch),
          change
        )
      }
    }
  }

  /// Waits for entries to send to the backup, or for the heartbeat interval to pass.
  func nextReplicationWork(generation: Int, heartbeatInterval: Duration) -> ReplicationWork {
    condition.lock()
    defer { condition.unlock() }
    while true {
      guard !isStopping, node.role == .primary, var link = backupLink,
        link.generation == generation
      else { return .ended }
      let entries = replication.undeliveredEntries(after: link.sentThrough)
      if !entries.isEmpty || !positionsForBackup.isEmpty {
        var lines = entries.map { PeerMessage.replicate($0).line }
        lines += positionsForBackup.map { PeerMessage.position($0).line }
        positionsForBackup = []
        link.sentThrough = entries.last?.index ?? link.sentThrough
        link.lastSent = Date()
        backupLink = link
        return .lines(lines)
      }
      let due = link.lastSent.addingTimeInterval(heartbeatInterval.seconds)
      if due <= Date() || !condition.wait(until: due) {
        link.lastSent = Date()
        backupLink = link
        return .heartbeat(heartbeatLocked().line)
      }
    }
  }

  private func heartbeatLocked() -> PeerMessage {
    .heartbeat(
      Heartbeat(
        epoch: node.epoch, role: node.role, lastIndex: replication.lastIndex,
        commitIndex: replication.commitIndex))
  }

  /// The backup holds every entry up to `index`: commit them.
  func backupAcknowledged(through index: UInt64, generation: Int) {
    locked {
      guard backupLink?.generation == generation else { return }
      replication.commit(through: index)
    }
  }

  /// A line on a link carried `epoch`.
  func sawEpoch(_ epoch: UInt64, from peerID: String) -> NodeState.Change? {
    locked {
      let change = node.sawEpoch(epoch, from: peerID)
      applyLocked(change)
      return change
    }
  }

  /// Whether `generation` is still this node's backup link.
  func isCurrentLink(_ generation: Int) -> Bool {
    locked { backupLink?.generation == generation }
  }

  /// The hello a primary sends to check its peer, and where to send it.
  var probe: (BrokerAddress, PeerMessage)? {
    locked {
      peerAddress.map {
        ($0, .hello(node.status(lastIndex: replication.lastIndex), port: listenPort))
      }
    }
  }

  /// Decides what a lost backup link means, from the answer to a probe of the peer: a newer
  /// primary (step down) or anything else (carry on alone).
  func resolveBackupLoss(generation: Int, probe: ProbeResult) -> NodeState.Change? {
    locked {
      guard backupLink?.generation == generation else { return nil }
      var change: NodeState.Change?
      if case .primary(let id, let epoch) = probe {
        change = node.peerIsPrimary(id: id, epoch: epoch)
      }
      if change == nil { change = node.backupDetached() }
      applyLocked(change)
      return change
    }
  }

  // MARK: - This node's own attempts to reach its peer

  /// A node started as primary with no peer address takes the role at once.
  func startWithoutPeer() -> NodeState.Change? {
    locked {
      guard peerAddress == nil else { return nil }
      let change = node.startWithoutPeer()
      applyLocked(change)
      return change
    }
  }

  /// What the peer connector should do now.
  var connectorPlan: ConnectorPlan {
    locked {
      guard let peerAddress, !isStopping else { return .wait }
      let hello = PeerMessage.hello(node.status(lastIndex: replication.lastIndex), port: listenPort)
      switch node.role {
      case .backup: return .join(peerAddress, hello: hello)
      case .primary: return node.hasBackup ? .wait : .probe(peerAddress, hello: hello)
      }
    }
  }

  /// Applies the peer's answer (or silence) to a hello this node sent.
  func peerAnswered(_ result: ProbeResult) -> NodeState.Change? {
    locked {
      let change: NodeState.Change?
      switch result {
      case .unreachable: change = node.peerUnreachable()
      case .primary(let id, let epoch): change = node.peerIsPrimary(id: id, epoch: epoch)
      case .notPrimary(let status): change = node.peerIsNotPrimary(status)
      }
      applyLocked(change)
      return change
    }
  }

  /// The backup's primary has been silent for `silence`.
  func primaryFellSilent(for silence: Duration) -> NodeState.Change? {
    locked {
      let change = node.primaryFellSilent(for: silence)
      applyLocked(change)
      return change
    }
  }

  /// Whether this node is a backup connected to its primary: its link should carry on.
  var isConnectedBackup: Bool {
    locked { node.role == .backup && node.primaryContact == .connected && !isStopping }
  }

  /// Replaces this backup's data with the primary's snapshot.
  func install(_ snapshot: Snapshot) {
    locked { replication.install(snapshot) }
  }

  /// Appends entries copied from the primary, and records durable positions.
  ///
  /// - Returns: The newest index held, for `RACK`.
  /// - Throws: `ReplicationGap` if an entry does not follow the log.
  func applyReplicated(_ entries: [LogEntry], positions: [DurablePosition]) throws(ReplicationGap)
    -> UInt64
  {
    condition.lock()
    defer {
      condition.broadcast()
      condition.unlock()
    }
    for entry in entries { try replication.applyReplicated(entry) }
    for position in positions {
      replication.recordPosition(
        name: position.name, index: position.index, filters: position.filters)
    }
    return replication.lastIndex
  }

  /// This node's heartbeat line.
  var heartbeatLine: String {
    locked { heartbeatLocked().line }
  }
}

/// A subscriber's filters, matched against topic names with Task 3's router.
struct FilterSet {
  private let router = TopicRouter()
  private let isEmpty: Bool

  init(_ filters: [String]) {
    for filter in filters { router.subscribe(0, to: filter) }
    isEmpty = filters.isEmpty
  }

  func matches(_ topic: String) -> Bool {
    !isEmpty && !router.subscribers(of: topic).isEmpty
  }
}
