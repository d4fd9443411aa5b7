import Foundation
import Task1Echo
import Task2Roles

extension ReplicatedBroker {
  // MARK: - The primary's side: a backup joins

  /// Answers a peer's `HELLO PEER`; if this node takes it as its backup, runs the link: this
  /// thread sends the snapshot and then every new entry, a second thread reads `RACK`s.
  func servePeer(_ reader: LineReader, hello line: String) {
    let connection = reader.connection
    guard case .hello(let peer, let port)? = try? PeerMessage(parsing: line) else {
      try? connection.sendAll("-ERR expected HELLO PEER id=... epoch=... port=...\n")
      connection.close()
      return
    }
    let address = BrokerAddress(host: connection.peer.host, port: port)
    let (attachment, change) = core.attachPeer(peer, announcedAddress: address)
    announce(change)
    switch attachment {
    case .refuse(let status):
      try? connection.sendAll(PeerMessage.refused(status).line + "\n")
      connection.close()
    case .confirm(let id, let epoch):
      try? connection.sendAll(PeerMessage.accepted(id: id, epoch: epoch).line + "\n")
      connection.close()
    case .accept(let generation, let snapshot, let epoch):
      try? connection.socket.setSendTimeout(.seconds(2))
      var lines = [
        PeerMessage.accepted(id: configuration.id, epoch: epoch).line,
        PeerMessage.snapshot(
          lastIndex: snapshot.lastIndex, entries: snapshot.entries.count,
          producers: snapshot.producers.count, durables: snapshot.durables.count
        ).line,
      ]
      lines += snapshot.entries.map { PeerMessage.replicate($0).line }
      lines += snapshot.producers.map { PeerMessage.producer($0).line }
      lines += snapshot.durables.map { PeerMessage.position($0).line }
      log.post(
        "backup \(peer.id) joined from \(address) in epoch \(epoch): sending a snapshot of "
          + "\(snapshot.entries.count) messages; acknowledgements now wait for it")
      startThread("backup link reader") { [self] in
        readBackupLink(reader, generation: generation, peerID: peer.id)
      }
      do {
        try connection.sendAll(lines.joined(separator: "\n") + "\n")
        sendToBackup(connection, generation: generation)
      } catch {
        connection.close()  // the reader sees it and handles the loss
      }
    }
  }

  /// Sends new entries (and heartbeats when there are none) until the link ends.
  private func sendToBackup(_ connection: Connection, generation: Int) {
    while true {
      let work = core.nextReplicationWork(
        generation: generation, heartbeatInterval: configuration.heartbeatInterval)
      let text: String
      switch work {
      case .ended:
        connection.close()
        return
      case .lines(let lines): text = lines.joined(separator: "\n") + "\n"
      case .heartbeat(let line): text = line + "\n"
      }
      do {
        try connection.sendAll(text)
      } catch {
        connection.close()
        return
      }
    }
  }

  /// Reads the backup's `RACK`s and heartbeats; when the backup goes (closed, or silent for the
  /// failure timeout), checks that the peer is not a newer primary and carries on alone.
  private func readBackupLink(_ reader: LineReader, generation: Int, peerID: String) {
    var reader = reader
    let connection = reader.connection
    try? connection.socket.setReceiveTimeout(configuration.heartbeatInterval / 2)
    var detector = FailureDetector(
      interval: configuration.heartbeatInterval, timeout: configuration.failureTimeout,
      startingAt: .now)
    var reason: String
    reading: while true {
      guard core.isCurrentLink(generation) else {
        connection.close()
        return
      }
      do {
        guard try reader.receive() else {
          reason = "connection closed"
          break
        }
        detector.heard(at: .now)
        while let line = try reader.nextLine() {
          switch try? PeerMessage(parsing: String(lineBytes: line)) {
          case .replicaAcknowledgement(let index)?:
            core.backupAcknowledged(through: index, generation: generation)
          case .heartbeat(let beat)?:
            announce(core.sawEpoch(beat.epoch, from: peerID))
          default:
            break
          }
        }
      } catch SocketError.timedOut {
        // No bytes for half a heartbeat interval: check the silence below.
      } catch {
        reason = "\(error)"
        break
      }
      let now = ContinuousClock.now
      if detector.isPresumedDead(at: now) {
        reason = "silent for \(detector.silence(at: now).milliseconds) ms"
        break reading
      }
    }
    connection.close()
    guard core.isCurrentLink(generation) else { return }
    log.post("backup \(peerID) lost (\(reason)); checking that it is not a newer primary")
    var result = ProbeResult.unreachable
    if let (address, hello) = core.probe { result = exchangeHello(with: address, hello).result }
    announce(core.resolveBackupLoss(generation: generation, probe: result))
  }

  // MARK: - This node reaching out: joining, following, probing

  /// Sends `hello` to `address` and reads the answer, waiting at most the failure timeout.
  ///
  /// - Returns: What the peer said, and on `+OK PEER` the reader positioned after it.
  func exchangeHello(with address: BrokerAddress, _ hello: PeerMessage) -> (
    result: ProbeResult, reader: LineReader?
  ) {
    do {
      let connection = try Connection.connect(host: address.host, port: address.port)
      try connection.socket.setReceiveTimeout(configuration.failureTimeout)
      try connection.sendAll(hello.line + "\n")
      var reader = LineReader(connection: connection, maximumLineLength: peerLineLength)
      guard let line = try reader.readLine() else {
        connection.close()
        return (.unreachable, nil)
      }
      switch try PeerMessage(parsing: line) {
      case .accepted(let id, let epoch):
        return (.primary(id: id, epoch: epoch), reader)
      case .refused(let status):
        connection.close()
        return (.notPrimary(status), nil)
      default:
        connection.close()
        return (.unreachable, nil)
      }
    } catch {
      return (.unreachable, nil)
    }
  }

  /// The peer connector: joins the peer while this node is a backup, probes it while this
  /// node is a primary alone, and otherwise waits.
  func runConnector() {
    let pause = configuration.heartbeatInterval.seconds
    announce(core.startWithoutPeer())
    while !core.stopping {
      switch core.connectorPlan {
      case .wait:
        Thread.sleep(forTimeInterval: pause)  // a periodic timer
      case .probe(let address, let hello):
        let (result, reader) = exchangeHello(with: address, hello)
        reader?.connection.close()
        announce(core.peerAnswered(result))
        Thread.sleep(forTimeInterval: pause)
      case .join(let address, let hello):
        let (result, reader) = exchangeHello(with: address, hello)
        let change = core.peerAnswered(result)
        announce(change)
        if case .joinedPrimary(let epoch) = change, let reader, case .primary(let id, _) = result {
          followPrimary(reader, primaryID: id, address: address, epoch: epoch)
        } else {
          reader?.connection.close()
          Thread.sleep(forTimeInterval: pause)
        }
      }
    }
  }

  /// The backup's side of the link: installs the snapshot, applies each `REP`, answers with
  /// `RACK`, sends heartbeats, and watches for the primary's silence.
  private func followPrimary(
    _ reader: LineReader, primaryID: String, address: BrokerAddress, epoch: UInt64
  ) {
    var reader = reader
    let connection = reader.connection
    try? connection.socket.setReceiveTimeout(configuration.heartbeatInterval / 2)
    let outbox = Outbox(
      connection: connection,
      limits: .init(maximumPendingBytes: 64 << 20, writeDeadline: .seconds(2)))
    outbox.start()
    var detector = FailureDetector(
      interval: configuration.heartbeatInterval, timeout: configuration.failureTimeout,
      startingAt: .now)
    var follower = ReplicationFollower()
    var acknowledged: UInt64 = 0
    var held: UInt64 = 0
    var reason = "the link closed"
    following: while core.isConnectedBackup {
      var entries: [LogEntry] = []
      var positions: [DurablePosition] = []
      do {
        // Lines already received (the snapshot often arrives with the `+OK PEER`) first.
        while let line = try reader.nextLine() {
          guard let message = try? PeerMessage(parsing: String(lineBytes: line)) else { continue }
          switch follower.take(message) {
          case .none:
            break
          case .install(let snapshot):
            core.install(snapshot)
            held = snapshot.lastIndex
            log.post(
              "BACKUP of \(primaryID) at \(address) in epoch \(epoch): copied a snapshot of "
                + "\(snapshot.entries.count) messages up to index \(held)")
          case .append(let entry):
            entries.append(entry)
          case .record(let position):
            positions.append(position)
          case .heartbeat(let beat):
            announce(core.sawEpoch(beat.epoch, from: primaryID))
          }
        }
        if !entries.isEmpty || !positions.isEmpty {
          held = try core.applyReplicated(entries, positions: positions)
        }
        if follower.isInSync && held > acknowledged {
          outbox.enqueue(line: PeerMessage.replicaAcknowledgement(held).line)
          acknowledged = held
          detector.sentHeartbeat(at: .now)
        }
        let now = ContinuousClock.now
        if detector.isHeartbeatDue(at: now) {
          outbox.enqueue(line: core.heartbeatLine)
          detector.sentHeartbeat(at: now)
        }
        if detector.isPresumedDead(at: now) {
          announce(core.primaryFellSilent(for: detector.silence(at: now)))
          reason = "the primary fell silent"
          break following
        }
        guard try reader.receive() else { break following }
        detector.heard(at: .now)
      } catch SocketError.timedOut {
        continue  // half a heartbeat interval without bytes: check the silence above
      } catch let gap as ReplicationGap {
        reason = "the log has a gap (\(gap)); joining again"
        break
      } catch {
        reason = "\(error)"
        break
      }
    }
    outbox.close()
    connection.close()
    if !core.stopping { log.post("link to the primary ended: \(reason)") }
  }
}

extension Duration {
  /// Half, a third, ... of a duration.
  static func / (duration: Duration, divisor: Int) -> Duration {
    duration / Double(divisor)
  }
}
