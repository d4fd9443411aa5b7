import Task4Architecture
import Testing

/// The status a peer reports.
private func peer(
  _ id: String, epoch: UInt64 = 0, role: NodeRole = .backup, last: UInt64 = 0,
  starting: Bool = false, candidate: Bool = false
) -> PeerStatus {
  PeerStatus(
    id: id, epoch: epoch, role: role, lastIndex: last, isStarting: starting,
    startsAsPrimary: candidate)
}

/// A primary in epoch 1 with a backup attached, reached the way a real node gets there.
private func primaryWithBackup(_ id: String = "a") -> NodeState {
  var node = NodeState(id: id, startsAsPrimary: true)
  _ = node.peerUnreachable()
  _ = node.peerArrived(peer("b", starting: true))
  return node
}

/// A backup connected to its primary in `epoch`.
private func connectedBackup(_ id: String = "b", epoch: UInt64 = 1) -> NodeState {
  var node = NodeState(id: id, startsAsPrimary: false)
  _ = node.peerIsPrimary(id: "a", epoch: epoch)
  return node
}

@Suite("Node roles and epochs")
struct NodeStateTests {
  @Test("a node started as primary takes the role in epoch 1 when its peer is not running")
  func startAlone() {
    var node = NodeState(id: "a", startsAsPrimary: true)
    #expect(node.isStarting)
    let change = node.peerUnreachable()
    #expect(change == .becamePrimary(epoch: 1, reason: "the peer is not running"))
    #expect(node.role == .primary)
    #expect(!node.hasBackup)
  }

  @Test("a node started as primary without a peer address takes the role at once")
  func startWithoutPeer() {
    var node = NodeState(id: "a", startsAsPrimary: true)
    let change = node.startWithoutPeer()
    #expect(change == .becamePrimary(epoch: 1, reason: "no peer address given; a backup may join"))
    var backup = NodeState(id: "b", startsAsPrimary: false)
    let none = backup.startWithoutPeer()
    #expect(none == nil)
    #expect(backup.role == .backup)
  }

  @Test("a node started as backup never promotes itself without ever having had a primary")
  func coldBackupWaits() {
    var node = NodeState(id: "b", startsAsPrimary: false)
    let change = node.peerUnreachable()
    let (serve, _) = node.clientArrived()
    #expect(change == nil)
    #expect(!serve)
    #expect(node.role == .backup)
  }

  @Test("a starting candidate defers to a backup with data; of two candidates the smaller id wins")
  func startingDecisions() {
    var a = NodeState(id: "a", startsAsPrimary: true)
    let deferred = a.peerIsNotPrimary(peer("b", epoch: 4, last: 90))
    #expect(deferred == nil)
    #expect(a.role == .backup)
    let decided = a.peerIsNotPrimary(peer("b", starting: true, candidate: true))
    #expect(decided == .becamePrimary(epoch: 1, reason: "b is starting as a backup"))
    var b = NodeState(id: "b", startsAsPrimary: true)
    let yielded = b.peerIsNotPrimary(peer("a", starting: true, candidate: true))
    #expect(yielded == nil)
    #expect(b.role == .backup)
  }

  @Test("the primary accepts a backup, and the backup joins in the primary's epoch")
  func join() {
    var primary = NodeState(id: "a", startsAsPrimary: true)
    _ = primary.peerUnreachable()
    let (answer, change) = primary.peerArrived(peer("b", starting: true))
    #expect(answer == .acceptAsBackup)
    #expect(change == .backupAttached)
    #expect(primary.hasBackup)
    var backup = NodeState(id: "b", startsAsPrimary: false)
    let joined = backup.peerIsPrimary(id: "a", epoch: 1)
    #expect(joined == .joinedPrimary(epoch: 1))
    #expect(backup.primaryContact == .connected)
    #expect(backup.epoch == 1)
  }

  @Test("a backup refuses clients while its primary is alive")
  func backupRefusesClients() {
    var backup = connectedBackup()
    let (serve, change) = backup.clientArrived()
    #expect(!serve)
    #expect(change == nil)
    #expect(backup.role == .backup)
  }

  @Test(
    "a lost primary plus a client's hello (the client vote) makes the backup primary, epoch + 1")
  func clientVote() {
    var backup = connectedBackup(epoch: 7)
    let early = backup.clientArrived()
    #expect(!early.serve)  // the primary is not known to be lost yet
    let lost = backup.peerUnreachable()
    #expect(lost == .lostPrimary(reason: "the link closed and reconnecting was refused"))
    let (serve, change) = backup.clientArrived()
    #expect(serve)
    #expect(
      change
        == .becamePrimary(epoch: 8, reason: "the primary was lost and a client asked to be served"))
    #expect(backup.role == .primary)
  }

  @Test("silence for the timeout also counts as a lost primary, reported once")
  func silence() {
    var backup = connectedBackup()
    let first = backup.primaryFellSilent(for: .milliseconds(251))
    let second = backup.primaryFellSilent(for: .milliseconds(300))
    #expect(first == .lostPrimary(reason: "silent for 251 ms"))
    #expect(second == nil)
  }

  @Test("a restarted old primary, memory empty, joins the new primary as its backup")
  func restartedPrimaryJoins() {
    var newPrimary = connectedBackup(epoch: 7)
    _ = newPrimary.peerUnreachable()
    _ = newPrimary.clientArrived()
    #expect(newPrimary.epoch == 8)
    var restarted = NodeState(id: "a", startsAsPrimary: true)
    let (answer, _) = newPrimary.peerArrived(restarted.status(lastIndex: 0))
    #expect(answer == .acceptAsBackup)
    let joined = restarted.peerIsPrimary(id: "b", epoch: 8)
    #expect(joined == .joinedPrimary(epoch: 8))
    #expect(restarted.role == .backup)
    let (serve, _) = restarted.clientArrived()
    #expect(!serve)  // it never serves a client while it is the backup
  }

  @Test("a backup that lost its primary takes over when the restarted primary asks to join")
  func restartBeforeAnyClient() {
    var backup = connectedBackup(epoch: 3)
    _ = backup.peerUnreachable()
    let restarted = NodeState(id: "a", startsAsPrimary: true).status(lastIndex: 0)
    let (answer, change) = backup.peerArrived(restarted)
    #expect(answer == .acceptAsBackup)
    #expect(change == .becamePrimary(epoch: 4, reason: "the primary was lost and a asked to join"))
    #expect(backup.hasBackup)
  }

  @Test("an old primary that meets a higher epoch steps down and never serves again")
  func fencing() {
    var old = primaryWithBackup()
    #expect(old.epoch == 1)
    // Its probe of the peer is answered by the new primary of epoch 2.
    let steppedDown = old.peerIsPrimary(id: "b", epoch: 2)
    #expect(steppedDown == .steppedDown(epoch: 2, reason: "b is primary in epoch 2"))
    #expect(old.role == .backup)
    #expect(old.primaryContact == .known)
    let (serve, _) = old.clientArrived()
    #expect(!serve)  // it knows a newer primary exists: no takeover
    // A higher epoch in a heartbeat does the same.
    var other = primaryWithBackup()
    let fromHeartbeat = other.sawEpoch(5, from: "b")
    #expect(fromHeartbeat == .steppedDown(epoch: 5, reason: "b has epoch 5"))
    #expect(other.role == .backup)
    #expect(other.epoch == 5)
  }

  @Test("a primary confirms itself to a stale primary; a same-epoch tie goes to the smaller id")
  func twoPrimaries() {
    var a = primaryWithBackup("a")
    let (staleAnswer, _) = a.peerArrived(peer("b", epoch: 0, role: .primary))
    #expect(staleAnswer == .confirmPrimary)
    #expect(a.role == .primary)
    let (tieAnswer, tieChange) = a.peerArrived(peer("0-first", epoch: 1, role: .primary))
    #expect(tieAnswer == .refuse)
    #expect(tieChange == .steppedDown(epoch: 1, reason: "0-first is primary too"))
    // The prober sees the mirror image: a same-epoch primary with a smaller id wins.
    var b = primaryWithBackup("b")
    let yielded = b.peerIsPrimary(id: "a", epoch: 1)
    #expect(yielded == .steppedDown(epoch: 1, reason: "a is primary in epoch 1"))
    #expect(b.role == .backup)
  }

  @Test("a paused primary that wakes up stays primary if nobody took over meanwhile")
  func pausedPrimaryNoTakeover() {
    var backup = connectedBackup(epoch: 1)
    _ = backup.primaryFellSilent(for: .milliseconds(250))
    let (answer, change) = backup.peerArrived(primaryWithBackup("a").status(lastIndex: 10))
    #expect(answer == .refuse)  // a primary's probe is not a vote
    #expect(change == nil)
    var a = primaryWithBackup("a")
    let told = a.peerIsNotPrimary(backup.status(lastIndex: 10))
    #expect(told == nil)
    #expect(a.role == .primary)
    let alone = a.backupDetached()
    #expect(alone == .backupDetached)
    #expect(!a.hasBackup)
  }
}

@Suite("Failure detector")
struct FailureDetectorTests {
  @Test("presumed dead after 250 ms of silence, not before")
  func timeout() {
    let start = ContinuousClock.now
    var detector = FailureDetector(startingAt: start)
    #expect(!detector.isPresumedDead(at: start + .milliseconds(249)))
    #expect(detector.isPresumedDead(at: start + .milliseconds(250)))
    detector.heard(at: start + .milliseconds(200))
    #expect(!detector.isPresumedDead(at: start + .milliseconds(449)))
    #expect(detector.silence(at: start + .milliseconds(450)) == .milliseconds(250))
    detector.heard(at: start + .milliseconds(100))  // a late report never moves time back
    #expect(detector.isPresumedDead(at: start + .milliseconds(450)))
  }

  @Test("a heartbeat is due every 50 ms")
  func heartbeats() {
    let start = ContinuousClock.now
    var detector = FailureDetector(startingAt: start)
    #expect(detector.isHeartbeatDue(at: start))
    detector.sentHeartbeat(at: start)
    #expect(!detector.isHeartbeatDue(at: start + .milliseconds(49)))
    #expect(detector.isHeartbeatDue(at: start + .milliseconds(50)))
  }
}
