import Task3Topics

/// The fields a node reports in its heartbeat: `HB <epoch> <role> <last-index> <commit-index>`.
public struct Heartbeat: Equatable, Sendable {
  /// The sender's epoch.
  public var epoch: UInt64
  /// The sender's role.
  public var role: NodeRole
  /// The sender's newest index.
  public var lastIndex: UInt64
  /// The sender's commit index.
  public var commitIndex: UInt64

  /// Creates a heartbeat.
  public init(epoch: UInt64, role: NodeRole, lastIndex: UInt64, commitIndex: UInt64) {
    self.epoch = epoch
    self.role = role
    self.lastIndex = lastIndex
    self.commitIndex = commitIndex
  }
}

/// One line between two broker nodes. Every line is text, so a person can watch the link
/// with `nc` and read it.
///
/// ```text
/// HELLO PEER id=<id> epoch=<e> role=<role> last=<i> starting=<yes|no> candidate=<yes|no> port=<p>
/// +OK PEER id=<id> epoch=<e>
/// -ERR not primary id=<id> epoch=<e> role=<role> last=<i> starting=<yes|no> candidate=<yes|no>
/// SNAPSHOT last=<i> entries=<n> producers=<n> durables=<n>
/// REP <index> <epoch> <topic> <sender> <producer|-> <sequence> <text>
/// PRODUCER <producer> <sequence> <index>
/// POS <name> <index> <filter,filter|->
/// RACK <index>
/// HB <epoch> <role> <last-index> <commit-index>
/// ```
public enum PeerMessage: Equatable, Sendable {
  /// A node introduces itself to its peer, wanting to join it as backup (or, from a primary,
  /// checking that the peer is not a newer primary). `port` is where it listens, so that the
  /// peer learns its address.
  case hello(PeerStatus, port: UInt16)
  /// The answer of a primary: the sender is primary in `epoch`.
  case accepted(id: String, epoch: UInt64)
  /// The answer of a node that is not primary, with its status.
  case refused(PeerStatus)
  /// The start of a snapshot: the counts of the lines that follow, in this order.
  case snapshot(lastIndex: UInt64, entries: Int, producers: Int, durables: Int)
  /// One log entry, copied to the backup.
  case replicate(LogEntry)
  /// One deduplication record, in a snapshot.
  case producer(Snapshot.Producer)
  /// A durable subscriber's position, in a snapshot or whenever it changes.
  case position(DurablePosition)
  /// The backup holds every entry up to this index.
  case replicaAcknowledgement(UInt64)
  /// A heartbeat.
  case heartbeat(Heartbeat)

  /// The refusal's first words, also what a client sees from a node that is not primary.
  public static let notPrimary = "-ERR not primary"

  /// Parses one line.
  ///
  /// - Throws: `ProtocolError` saying what is wrong.
  public init(parsing line: String) throws(ProtocolError) {
    if line.hasPrefix(Self.notPrimary + " ") {
      self = .refused(try Self.status(Fields(line.dropFirst(Self.notPrimary.count + 1))))
      return
    }
    let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
    let rest = words.count > 1 ? words[1] : ""
    switch words[0] {
    case "HELLO" where rest.hasPrefix("PEER"):
      let fields = try Fields(rest.dropFirst(4))
      let port = try fields.number("port")
      guard let port = UInt16(exactly: port) else { throw ProtocolError("invalid port \(port)") }
      self = .hello(try Self.status(fields), port: port)
    case "+OK" where rest.hasPrefix("PEER"):
      let fields = try Fields(rest.dropFirst(4))
      self = .accepted(id: try fields.text("id"), epoch: try fields.number("epoch"))
    case "SNAPSHOT":
      let fields = try Fields(rest)
      self = .snapshot(
        lastIndex: try fields.number("last"), entries: try fields.count("entries"),
        producers: try fields.count("producers"), durables: try fields.count("durables"))
    case "REP":
      let parts = rest.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: false)
      guard parts.count == 7, let index = UInt64(parts[0]), let epoch = UInt64(parts[1]),
        let sequence = UInt64(parts[5]), !parts[2].isEmpty, !parts[3].isEmpty
      else {
        throw ProtocolError("usage: REP <index> <epoch> <topic> <sender> <producer> <seq> <text>")
      }
      let origin =
        parts[4] == "-" ? nil : LogEntry.Origin(producer: String(parts[4]), sequence: sequence)
      self = .replicate(
        LogEntry(
          index: index, epoch: epoch, topic: String(parts[2]), sender: String(parts[3]),
          origin: origin, text: String(parts[6])))
    case "PRODUCER":
      let parts = rest.split(separator: " ")
      guard parts.count == 3, let sequence = UInt64(parts[1]), let index = UInt64(parts[2]) else {
        throw ProtocolError("usage: PRODUCER <id> <sequence> <index>")
      }
      self = .producer(
        Snapshot.Producer(
          id: String(parts[0]), record: .init(sequence: sequence, index: index)))
    case "POS":
      let parts = rest.split(separator: " ")
      guard parts.count == 3, let index = UInt64(parts[1]) else {
        throw ProtocolError("usage: POS <name> <index> <filters>")
      }
      let filters = parts[2] == "-" ? [] : parts[2].split(separator: ",").map(String.init)
      self = .position(DurablePosition(name: String(parts[0]), index: index, filters: filters))
    case "RACK":
      guard let index = UInt64(rest) else { throw ProtocolError("usage: RACK <index>") }
      self = .replicaAcknowledgement(index)
    case "HB":
      let parts = rest.split(separator: " ")
      guard parts.count == 4, let epoch = UInt64(parts[0]),
        let role = NodeRole(rawValue: String(parts[1])), let last = UInt64(parts[2]),
        let commit = UInt64(parts[3])
      else { throw ProtocolError("usage: HB <epoch> <role> <last-index> <commit-index>") }
      self = .heartbeat(Heartbeat(epoch: epoch, role: role, lastIndex: last, commitIndex: commit))
    default:
      throw ProtocolError(
        "unexpected line from peer: '\(String(line.prefix(40)).escapingControlCharacters)'")
    }
  }

  /// The line, without its newline.
  public var line: String {
    switch self {
    case .hello(let status, let port):
      return "HELLO PEER \(Self.fields(of: status)) port=\(port)"
    case .accepted(let id, let epoch):
      return "+OK PEER id=\(id) epoch=\(epoch)"
    case .refused(let status):
      return "\(Self.notPrimary) \(Self.fields(of: status))"
    case .snapshot(let lastIndex, let entries, let producers, let durables):
      return
        "SNAPSHOT last=\(lastIndex) entries=\(entries) producers=\(producers) durables=\(durables)"
    case .replicate(let entry):
      let producer = entry.origin?.producer ?? "-"
      let sequence = entry.origin?.sequence ?? 0
      return
        "REP \(entry.index) \(entry.epoch) \(entry.topic) \(entry.sender) \(producer)"
        + " \(sequence) \(entry.text)"
    case .producer(let producer):
      return "PRODUCER \(producer.id) \(producer.record.sequence) \(producer.record.index)"
    case .position(let position):
      let filters = position.filters.isEmpty ? "-" : position.filters.joined(separator: ",")
      return "POS \(position.name) \(position.index) \(filters)"
    case .replicaAcknowledgement(let index):
      return "RACK \(index)"
    case .heartbeat(let beat):
      return "HB \(beat.epoch) \(beat.role) \(beat.lastIndex) \(beat.commitIndex)"
    }
  }

  private static func fields(of status: PeerStatus) -> String {
    "id=\(status.id) epoch=\(status.epoch) role=\(status.role) last=\(status.lastIndex)"
      + " starting=\(status.isStarting ? "yes" : "no")"
      + " candidate=\(status.startsAsPrimary ? "yes" : "no")"
  }

  private static func status(_ fields: Fields) throws(ProtocolError) -> PeerStatus {
    guard let role = NodeRole(rawValue: try fields.text("role")) else {
      throw ProtocolError("role must be PRIMARY or BACKUP")
    }
    return PeerStatus(
      id: try fields.text("id"), epoch: try fields.number("epoch"), role: role,
      lastIndex: try fields.number("last"), isStarting: try fields.flag("starting"),
      startsAsPrimary: try fields.flag("candidate"))
  }
}

/// `key=value` words, as in hellos.
struct Fields {
  private var values: [Substring: Substring] = [:]

  init(_ text: Substring) throws(ProtocolError) {
    for word in text.split(separator: " ") {
      guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
        throw ProtocolError("expected key=value, not '\(word)'")
      }
      let key = word[..<equals]
      guard values[key] == nil else { throw ProtocolError("'\(key)' given twice") }
      values[key] = word[word.index(after: equals)...]
    }
  }

  func text(_ key: Substring) throws(ProtocolError) -> String {
    guard let value = values[key], !value.isEmpty else { throw ProtocolError("missing \(key)=") }
    return String(value)
  }

  func number(_ key: Substring) throws(ProtocolError) -> UInt64 {
    guard let value = UInt64(try text(key)) else { throw ProtocolError("\(key)= is not a number") }
    return value
  }

  func count(_ key: Substring) throws(ProtocolError) -> Int {
    guard let value = Int(try text(key)), value >= 0 else {
      throw ProtocolError("\(key)= is not a count")
    }
    return value
  }

  func flag(_ key: Substring) throws(ProtocolError) -> Bool {
    switch try text(key) {
    case "yes": return true
    case "no": return false
    default: throw ProtocolError("\(key)= must be yes or no")
    }
  }
}

/// Collects a snapshot's lines as they arrive after its `SNAPSHOT` header: the entries, then
/// the producers, then the durable subscribers, as many of each as the header announced.
public struct SnapshotAssembler: Sendable {
  private var expectedEntries: Int
  private var expectedProducers: Int
  private var expectedDurables: Int
  /// The snapshot so far; complete when `isComplete`.
  public private(set) var snapshot: Snapshot

  /// Starts collecting the snapshot a `SNAPSHOT` header announced.
  public init(lastIndex: UInt64, entries: Int, producers: Int, durables: Int) {
    expectedEntries = entries
    expectedProducers = producers
    expectedDurables = durables
    snapshot = Snapshot(lastIndex: lastIndex, entries: [], producers: [], durables: [])
  }

  /// Whether every announced line has arrived.
  public var isComplete: Bool {
    snapshot.entries.count == expectedEntries && snapshot.producers.count == expectedProducers
      && snapshot.durables.count == expectedDurables
  }

  /// Adds `message` if it is the snapshot's next line.
  ///
  /// - Returns: Whether it was; a line that is not (a heartbeat, say) is the caller's.
  public mutating func add(_ message: PeerMessage) -> Bool {
    switch message {
    case .replicate(let entry) where snapshot.entries.count < expectedEntries:
      snapshot.entries.append(entry)
    case .producer(let producer)
    where snapshot.entries.count == expectedEntries
      && snapshot.producers.count < expectedProducers:
      snapshot.producers.append(producer)
    case .position(let position)
    where snapshot.entries.count == expectedEntries
      && snapshot.producers.count == expectedProducers
      && snapshot.durables.count < expectedDurables:
      snapshot.durables.append(position)
    default:
      return false
    }
    return true
  }
}

/// The backup's side of the replication link, line by line: it collects the snapshot, then
/// passes on each copied entry. A value with no I/O, so that it can be tested on its own.
public struct ReplicationFollower: Sendable {
  /// What a line from the primary means for the backup.
  public enum Step: Equatable, Sendable {
    /// Nothing to do yet (part of a snapshot, or a line that does not matter here).
    case none
    /// The snapshot is complete: replace everything with it.
    case install(Snapshot)
    /// Append this copied entry.
    case append(LogEntry)
    /// Record this durable subscriber's position.
    case record(DurablePosition)
    /// The primary's heartbeat.
    case heartbeat(Heartbeat)
  }

  private var assembler: SnapshotAssembler?
  /// Whether the snapshot has been installed, so that copied entries follow it.
  public private(set) var isInSync = false

  /// Creates a follower waiting for its snapshot.
  public init() {}

  /// Takes the next line from the primary.
  public mutating func take(_ message: PeerMessage) -> Step {
    // `assembler` is mutated in place: copying it out and back would copy its growing array
    // of entries for every line, which is quadratic in the snapshot's size.
    if assembler?.add(message) == true {
      return completedSnapshot()
    }
    switch message {
    case .snapshot(let last, let entries, let producers, let durables):
      assembler = SnapshotAssembler(
        lastIndex: last, entries: entries, producers: producers, durables: durables)
      return completedSnapshot()
    case .replicate(let entry) where isInSync:
      return .append(entry)
    case .position(let position) where isInSync:
      return .record(position)
    case .heartbeat(let beat):
      return .heartbeat(beat)
    default:
      return .none
    }
  }

  private mutating func completedSnapshot() -> Step {
    guard let complete = assembler, complete.isComplete else { return .none }
    assembler = nil
    isInSync = true
    return .install(complete.snapshot)
  }
}
