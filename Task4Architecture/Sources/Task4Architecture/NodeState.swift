/// What a broker node is doing right now.
public enum NodeRole: String, Sendable, CustomStringConvertible {
  /// Serves the clients, appends to the log, and copies every entry to the backup.
  case primary = "PRIMARY"
  /// Copies the primary's log, serves no clients, and takes over if the primary dies.
  case backup = "BACKUP"

  public var description: String { rawValue }
}

/// What a node says about itself when it contacts its peer (`HELLO PEER`) or refuses one
/// (`-ERR not primary`): enough for the other side to decide who should be primary.
public struct PeerStatus: Equatable, Sendable {
  /// The node's name, unique in the group; it breaks ties between equal epochs.
  public var id: String
  /// The highest epoch the node has seen.
  public var epoch: UInt64
  /// Its role.
  public var role: NodeRole
  /// The index of the newest entry in its log.
  public var lastIndex: UInt64
  /// Whether it has never had a role yet (just started, memory empty).
  public var isStarting: Bool
  /// Whether it was started with `--start-as primary`.
  public var startsAsPrimary: Bool

  /// Creates a status.
  public init(
    id: String, epoch: UInt64, role: NodeRole, lastIndex: UInt64, isStarting: Bool,
    startsAsPrimary: Bool
  ) {
    self.id = id
    self.epoch = epoch
    self.role = role
    self.lastIndex = lastIndex
    self.isStarting = isStarting
    self.startsAsPrimary = startsAsPrimary
  }
}

/// A node's role and epoch, and the rules that change them: the part of failover that decides,
/// kept apart from the sockets that carry the evidence.
///
/// Events go in (the peer could not be reached, a client knocked, the peer said hello); a
/// `Change` comes out when the role or epoch changed, for the broker to act on and log. The
/// rules, from the design (Task4Architecture/README.md, sections 4.5 and 4.6):
/// - A node started with `--start-as primary` becomes primary in epoch 1 only if its peer is
///   unreachable or is itself just starting (ties between two such nodes go to the smaller id),
///   or if it was given no peer address at all.
/// - A backup presumes its primary lost after 250 ms of silence, or when the link closed and
///   reconnecting was refused. It takes over (epoch + 1) only when it has lost its primary
///   **and** someone asks it to serve: a client (the client vote) or a restarted peer.
/// - A primary that meets a higher epoch steps down at once; it never serves again in an old
///   epoch. Between two primaries of the same epoch, the one with the smaller id stays.
public struct NodeState: Equatable, Sendable {
  /// What a backup knows about the primary.
  public enum PrimaryContact: Equatable, Sendable {
    /// It has never had a primary (it has just started).
    case never
    /// It is connected to the primary and copying its log.
    case connected
    /// It knows a primary exists (it stepped down in its favour) but is not connected yet.
    case known
    /// It has lost the primary: the link closed and reconnecting failed, or it fell silent.
    case lost
  }

  /// A change of role or epoch, with the reason to show.
  public enum Change: Equatable, Sendable {
    /// The node became primary in `epoch`.
    case becamePrimary(epoch: UInt64, reason: String)
    /// The node joined a primary as its backup in `epoch`.
    case joinedPrimary(epoch: UInt64)
    /// The node was primary and stepped down, having met `epoch`.
    case steppedDown(epoch: UInt64, reason: String)
    /// The backup lost its primary.
    case lostPrimary(reason: String)
    /// A backup attached to this primary: commits now wait for it.
    case backupAttached
    /// This primary's backup is gone: it carries on alone.
    case backupDetached
  }

  /// How to answer a peer's `HELLO PEER`.
  public enum PeerAnswer: Equatable, Sendable {
    /// `+OK PEER`, then the snapshot: the peer becomes this primary's backup.
    case acceptAsBackup
    /// `+OK PEER` and close: the peer is a primary that must step down and join.
    case confirmPrimary
    /// `-ERR not primary` with this node's status.
    case refuse
  }

  /// The node's id.
  public let id: String
  /// Whether it was started with `--start-as primary`.
  public let startsAsPrimary: Bool
  /// Its role; every node starts as a backup until it decides.
  public private(set) var role = NodeRole.backup
  /// The highest epoch it has seen (0 until it first has a role).
  public private(set) var epoch: UInt64 = 0
  /// For a primary: whether a backup is attached, so that commits wait for it.
  public private(set) var hasBackup = false
  /// For a backup: what it knows about the primary.
  public private(set) var primaryContact = PrimaryContact.never

  /// Creates the state of a node that has just started.
  public init(id: String, startsAsPrimary: Bool) {
    self.id = id
    self.startsAsPrimary = startsAsPrimary
  }

  /// Whether the node has never had a role.
  public var isStarting: Bool { role == .backup && primaryContact == .never }

  /// What this node says about itself, given its log's last index.
  public func status(lastIndex: UInt64) -> PeerStatus {
    PeerStatus(
      id: id, epoch: epoch, role: role, lastIndex: lastIndex, isStarting: isStarting,
      startsAsPrimary: startsAsPrimary)
  }

  // MARK: - Evidence from this node's own attempts to reach the peer

  /// The node was started as primary without a peer address: it takes the role at once, and
  /// learns its peer's address from the backup that joins.
  public mutating func startWithoutPeer() -> Change? {
    guard isStarting, startsAsPrimary else { return nil }
    return becomePrimary(epoch: epoch + 1, reason: "no peer address given; a backup may join")
  }

  /// The peer could not be reached (connection refused, or no answer in time).
  public mutating func peerUnreachable() -> Change? {
    switch (role, primaryContact) {
    case (.backup, .never) where startsAsPrimary:
      return becomePrimary(epoch: epoch + 1, reason: "the peer is not running")
    case (.backup, .connected), (.backup, .known):
      primaryContact = .lost
      return .lostPrimary(reason: "the link closed and reconnecting was refused")
    default:
      return nil
    }
  }

  /// The backup heard nothing from its primary for the failure detector's timeout.
  public mutating func primaryFellSilent(for silence: Duration) -> Change? {
    guard role == .backup, primaryContact == .connected else { return nil }
    primaryContact = .lost
    return .lostPrimary(reason: "silent for \(silence.milliseconds) ms")
  }

  /// The peer answered this node's hello with `+OK PEER`: it is primary in `epoch`.
  ///
  /// - Returns: `.joinedPrimary` if this node is now its backup, `.steppedDown` if this node
  ///   was a primary and must join it instead, `nil` if the answer must be ignored (a stale
  ///   primary: close the connection).
  public mutating func peerIsPrimary(id peerID: String, epoch peerEpoch: UInt64) -> Change? {
    switch role {
    case .primary:
      guard peerEpoch > epoch || (peerEpoch == epoch && peerID < id) else { return nil }
      return stepDown(to: peerEpoch, reason: "\(peerID) is primary in epoch \(peerEpoch)")
    case .backup:
      guard peerEpoch >= epoch else { return nil }
      epoch = peerEpoch
      primaryContact = .connected
      return .joinedPrimary(epoch: peerEpoch)
    }
  }

  /// The peer answered this node's hello with `-ERR not primary` and its status.
  public mutating func peerIsNotPrimary(_ peer: PeerStatus) -> Change? {
    switch (role, primaryContact) {
    case (.primary, _):
      return nil  // it will join this primary itself
    case (.backup, .connected), (.backup, .known):
      primaryContact = .lost
      return .lostPrimary(reason: "\(peer.id) says it is not primary")
    case (.backup, .never) where startsAsPrimary:
      let peerDefers = !peer.startsAsPrimary || id < peer.id
      guard peer.isStarting, peerDefers else { return nil }
      return becomePrimary(epoch: epoch + 1, reason: "\(peer.id) is starting as a backup")
    default:
      return nil
    }
  }

  // MARK: - Requests from others

  /// A client said hello. A primary serves it; a backup that has lost its primary takes the
  /// hello as the second vote it needs and takes over; any other backup refuses.
  ///
  /// - Returns: Whether to serve the client, and the change if the node took over.
  public mutating func clientArrived() -> (serve: Bool, change: Change?) {
    switch (role, primaryContact) {
    case (.primary, _):
      return (true, nil)
    case (.backup, .lost):
      let change = becomePrimary(
        epoch: epoch + 1, reason: "the primary was lost and a client asked to be served")
      return (true, change)
    default:
      return (false, nil)
    }
  }

  /// A peer said `HELLO PEER` with `peer` as its status. Decides the answer.
  public mutating func peerArrived(_ peer: PeerStatus) -> (answer: PeerAnswer, change: Change?) {
    switch role {
    case .primary where peer.role == .primary:
      // Two primaries: the higher epoch wins, then the smaller id.
      if peer.epoch > epoch || (peer.epoch == epoch && peer.id < id) {
        return (.refuse, stepDown(to: peer.epoch, reason: "\(peer.id) is primary too"))
      }
      return (.confirmPrimary, nil)
    case .primary:
      if peer.epoch > epoch {
        return (.refuse, stepDown(to: peer.epoch, reason: "\(peer.id) has epoch \(peer.epoch)"))
      }
      hasBackup = true
      return (.acceptAsBackup, .backupAttached)
    case .backup where primaryContact == .lost && peer.role == .backup:
      // Nobody is primary: the restarted or stepped-down peer is the vote.
      let change = becomePrimary(
        epoch: max(epoch, peer.epoch) + 1,
        reason: "the primary was lost and \(peer.id) asked to join")
      hasBackup = true
      return (.acceptAsBackup, change)
    case .backup:
      return (.refuse, nil)
    }
  }

  // MARK: - The primary's backup link

  /// The primary's backup is gone and the peer is not a newer primary: carry on alone.
  public mutating func backupDetached() -> Change? {
    guard role == .primary, hasBackup else { return nil }
    hasBackup = false
    return .backupDetached
  }

  /// A line on the link carried `peerEpoch`; a primary that meets a higher one steps down, a
  /// backup adopts it.
  public mutating func sawEpoch(_ peerEpoch: UInt64, from peerID: String) -> Change? {
    guard peerEpoch > epoch else { return nil }
    if role == .primary {
      return stepDown(to: peerEpoch, reason: "\(peerID) has epoch \(peerEpoch)")
    }
    epoch = peerEpoch
    return nil
  }

  // MARK: - Transitions

  private mutating func becomePrimary(epoch newEpoch: UInt64, reason: String) -> Change {
    role = .primary
    epoch = newEpoch
    hasBackup = false
    primaryContact = .never
    return .becamePrimary(epoch: newEpoch, reason: reason)
  }

  private mutating func stepDown(to newEpoch: UInt64, reason: String) -> Change {
    role = .backup
    epoch = max(epoch, newEpoch)
    hasBackup = false
    primaryContact = .known
    return .steppedDown(epoch: epoch, reason: reason)
  }
}

extension Duration {
  /// The duration in whole milliseconds, for messages.
  public var milliseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}
