import Foundation
import Task1Echo
import Task2Roles
import Task3Topics

/// A publisher or subscriber that stays connected to whichever broker of a group is primary.
///
/// It knows every broker's address. It connects to the first that agrees to serve it, and when
/// that connection closes, or the broker says nothing for 250 ms (it pings quiet clients every
/// 50 ms, so silence means trouble), it tries the next address, and so on around the list.
/// On every (re)connection:
/// - a **publisher** re-sends every message not yet acknowledged (`PublishWindow`), with the
///   same sequence numbers, so the broker keeps one copy of each;
/// - a **subscriber** says the last index it saw (`after=`), and the broker sends what came
///   after it, then the live stream: no gap, no duplicate.
///
/// Two threads do the work: the connection thread connects and reads; the sender thread writes
/// everything (publishes, re-sends, commands, `PONG`, `ACK`) so that lines never interleave
/// and re-sends always go out before newer messages. Their shared state is guarded by
/// `condition`; no lock is held during I/O.
public final class FailoverClient: @unchecked Sendable {
  /// The client's settings.
  public struct Configuration: Sendable {
    /// The brokers of the group, tried in this order.
    public var addresses: [BrokerAddress]
    /// Publisher or subscriber.
    public var role: Role
    /// A publisher's topics, or a subscriber's filters.
    public var topics: [String]
    /// The client's name; a named subscriber is durable.
    public var name: String?
    /// The token, for brokers started with `--token`.
    public var token: String?
    /// The most messages unacknowledged at once.
    public var windowCapacity = PublishWindow.standardCapacity
    /// How long the broker may say nothing before it counts as dead.
    public var silenceTimeout = FailureDetector.standardTimeout
    /// How long to wait for the answer to a hello. A live broker answers at once; a frozen one
    /// accepts the connection (the kernel does that) and then says nothing, so waiting the
    /// full silence timeout for it would only delay the failover.
    public var helloTimeout = Duration.milliseconds(100)
    /// The pause after every broker of the list has refused or failed.
    public var retryDelay = FailureDetector.standardInterval
    /// How long to go on trying when no broker answers, before giving up.
    public var giveUpAfter: Duration = .seconds(10)
    /// How often a durable subscriber reports its position (also after 100 messages).
    public var positionInterval: Duration = .milliseconds(100)

    /// Creates a configuration.
    public init(addresses: [BrokerAddress], role: Role, topics: [String], name: String? = nil) {
      self.addresses = addresses
      self.role = role
      self.topics = topics
      self.name = name
    }

    /// Whether the broker should remember this subscriber while it is away.
    public var isDurable: Bool { role == .subscriber && name != nil }
  }

  /// What happened, for the program to show.
  public enum Event: Sendable {
    /// A broker accepted the client.
    /// `resent` counts the unacknowledged messages sent again (on a reconnection only).
    case connected(
      broker: BrokerAddress, name: String, epoch: UInt64, resumedAfter: UInt64?, expired: Int,
      resent: Int, isReconnection: Bool)
    /// The connection to the serving broker was lost; failing over.
    case lost(broker: BrokerAddress, reason: String)
    /// A broker would not serve the client (reported once per broker per outage).
    case refused(broker: BrokerAddress, reason: String)
    /// A delivery.
    case message(index: UInt64, topic: String, sender: String, text: String)
    /// The broker acknowledged messages up to `sequence`.
    case acknowledged(sequence: UInt64)
    /// Any other line from the broker: a reply, an error, a direct message.
    case line(String)
    /// No broker would serve the client for `giveUpAfter`; the client has stopped.
    case gaveUp(reason: String)
  }

  private struct Link {
    var generation: Int
    var connection: Connection
  }

  /// The settings.
  public let configuration: Configuration
  /// The producer id this publisher's messages carry.
  public let producer: String
  private let onEvent: @Sendable (Event) -> Void

  private let condition = NSCondition()
  // Guarded by `condition`:
  private var window: PublishWindow
  private var link: Link?
  private var linkGeneration = 0
  private var sentThrough: UInt64 = 0
  private var controlLines: [String] = []
  private var lastIndex: UInt64?
  private var reportedIndex: UInt64 = 0
  private var reportedAt = ContinuousClock.now
  private var topics: [String]
  private var highestEpoch: UInt64 = 0
  private var isStopping = false
  private var isSenderIdle = true

  /// Creates a client; `start()` connects it. `onEvent` runs on the client's threads.
  public init(configuration: Configuration, onEvent: @escaping @Sendable (Event) -> Void) {
    precondition(!configuration.addresses.isEmpty)
    self.configuration = configuration
    self.onEvent = onEvent
    window = PublishWindow(capacity: configuration.windowCapacity)
    topics = configuration.topics
    producer =
      "\(configuration.name ?? "publisher")-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
  }

  private func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
    condition.lock()
    defer {
      condition.broadcast()
      condition.unlock()
    }
    return try body()
  }

  /// Starts connecting (and reconnecting) and sending.
  public func start() {
    for (name, body) in [("connection", runConnection), ("sender", runSender)] {
      let thread = Thread { body() }
      thread.name = name
      thread.start()
    }
  }

  /// Publishes `text` on `topic`, waiting while the window of unacknowledged messages is full.
  ///
  /// - Returns: The message's sequence number, or `nil` if the client has stopped.
  @discardableResult
  public func publish(_ text: String, on topic: String) -> UInt64? {
    condition.lock()
    defer { condition.unlock() }
    while window.isFull && !isStopping { condition.wait() }
    guard !isStopping else { return nil }
    let (sequence, _) = window.add(topic: topic, text: text)
    condition.broadcast()
    return sequence
  }

  /// Sends a command line to whichever broker is serving (dropped if the connection is lost
  /// before it goes out).
  public func send(_ line: String) {
    locked { controlLines.append(line) }
  }

  /// Waits until every message is acknowledged (a publisher), reports the final position (a
  /// durable subscriber), says `QUIT`, and stops.
  ///
  /// - Returns: The number of messages still unacknowledged at `deadline` (0 on success).
  public func finish(before deadline: ContinuousClock.Instant) -> Int {
    condition.lock()
    while !window.isEmpty && !isStopping && ContinuousClock.now < deadline {
      _ = condition.wait(until: Date(timeIntervalSinceNow: (deadline - .now).seconds))
    }
    if configuration.isDurable, let lastIndex, lastIndex > reportedIndex {
      controlLines.append(FailoverCommand.acknowledge(index: lastIndex).line)
      reportedIndex = lastIndex
    }
    controlLines.append("QUIT")
    condition.broadcast()
    // Give the sender a moment to write the goodbye, if a broker is connected.
    while link != nil && !(controlLines.isEmpty && isSenderIdle) && ContinuousClock.now < deadline {
      _ = condition.wait(until: Date(timeIntervalSinceNow: 0.01))
    }
    let remaining = window.count
    condition.unlock()
    stop()
    return remaining
  }

  /// Stops at once: closes the connection and ends both threads.
  public func stop() {
    locked {
      isStopping = true
      link?.connection.close()
    }
  }

  // MARK: - The connection thread

  private enum Attempt {
    case refused(String)
    case lost(String)
  }

  private func runConnection() {
    let addresses = configuration.addresses
    var next = 0
    var failuresInARow = 0
    var outageStart: ContinuousClock.Instant?
    var reported: Set<String> = []
    while !locked({ isStopping }) {
      let address = addresses[next]
      let outcome = attempt(address)
      if locked({ isStopping }) { return }  // a closed connection is expected when stopping
      switch outcome {
      case .lost(let reason):
        onEvent(.lost(broker: address, reason: reason))
        outageStart = .now
        reported = []
        failuresInARow = 0
      case .refused(let reason):
        if outageStart == nil { outageStart = .now }
        failuresInARow += 1
        if reported.insert("\(address) \(reason)").inserted {
          onEvent(.refused(broker: address, reason: reason))
        }
      }
      next = (next + 1) % addresses.count
      if let outageStart, ContinuousClock.now - outageStart > configuration.giveUpAfter {
        stop()
        onEvent(
          .gaveUp(
            reason: "no broker of \(addresses.map(\.description).joined(separator: ", ")) "
              + "served this client for \(configuration.giveUpAfter)"))
        return
      }
      if failuresInARow >= addresses.count {
        failuresInARow = 0
        Thread.sleep(forTimeInterval: configuration.retryDelay.seconds)  // a retry timer
      }
    }
  }

  /// Connects to `address`, says hello, and if served, reads until the connection is lost.
  private func attempt(_ address: BrokerAddress) -> Attempt {
    let connection: Connection
    do {
      connection = try Connection.connect(host: address.host, port: address.port)
      try connection.socket.setReceiveTimeout(configuration.helloTimeout)
      try connection.sendAll(helloLine() + "\n")
    } catch {
      return .refused("\(error)")
    }
    defer { connection.close() }
    var reader = LineReader(connection: connection, maximumLineLength: 1 << 20)
    let generation: Int
    do {
      while true {
        guard let line = try reader.readLine() else { return .refused("closed the connection") }
        switch BrokerReply(parsing: line) {
        case .ping:
          try connection.sendAll("PONG\n")
          continue
        case .notPrimary:
          return .refused("not primary")
        case .joined(let name, let epoch, let after, let expired):
          guard let joined = join(connection, epoch: epoch, after: after) else {
            return .refused("stale epoch \(epoch): a newer primary has been seen")
          }
          generation = joined.generation
          try connection.socket.setReceiveTimeout(configuration.silenceTimeout)
          onEvent(
            .connected(
              broker: address, name: name, epoch: epoch, resumedAfter: after, expired: expired,
              resent: joined.isReconnection ? joined.unacknowledged : 0,
              isReconnection: joined.isReconnection))
        default:
          return .refused(line)
        }
        break
      }
    } catch SocketError.timedOut {
      return .refused("no answer to the hello in \(configuration.helloTimeout.milliseconds) ms")
    } catch {
      return .refused("\(error)")
    }
    let reason = read(&reader)
    locked {
      if link?.generation == generation { link = nil }
    }
    return .lost(reason)
  }

  /// Makes `connection` the link, after checking its epoch. Returns `nil` for a stale broker.
  private func join(_ connection: Connection, epoch: UInt64, after: UInt64?) -> (
    generation: Int, unacknowledged: Int, isReconnection: Bool
  )? {
    locked {
      guard epoch >= highestEpoch else { return nil }
      highestEpoch = epoch
      linkGeneration += 1
      link = Link(generation: linkGeneration, connection: connection)
      sentThrough = 0  // everything unacknowledged goes again
      controlLines.removeAll { $0 == "PONG" }
      if configuration.role == .subscriber, let after { lastIndex = max(lastIndex ?? 0, after) }
      return (linkGeneration, window.count, linkGeneration > 1)
    }
  }

  private func helloLine() -> String {
    locked {
      var hello = FailoverHello(
        role: configuration.role, name: configuration.name, token: configuration.token)
      switch configuration.role {
      case .publisher:
        hello.producer = producer
      case .subscriber:
        hello.topics = topics
        hello.isDurable = configuration.isDurable
        if let lastIndex {
          hello.start = .after(lastIndex)
        } else if !configuration.isDurable {
          hello.start = .now
        }
      }
      return hello.line
    }
  }

  /// Reads until the connection is lost; returns why.
  private func read(_ reader: inout LineReader) -> String {
    do {
      while let line = try reader.readLine() {
        switch BrokerReply(parsing: line) {
        case .ping:
          locked { controlLines.append("PONG") }
        case .acknowledged(let sequence):
          locked { _ = window.acknowledge(through: sequence) }
          onEvent(.acknowledged(sequence: sequence))
        case .message(let index, let topic, let sender, let text):
          locked { lastIndex = max(lastIndex ?? 0, index) }
          onEvent(.message(index: index, topic: topic, sender: sender, text: text))
        case .notPrimary:
          return "the broker is no longer primary"
        case .joined:
          break
        case .other(let line):
          noteSubscriptionChange(line)
          onEvent(.line(line))
        }
      }
      return "connection closed by the broker"
    } catch SocketError.timedOut {
      return "no word from the broker for \(configuration.silenceTimeout.milliseconds) ms"
    } catch {
      return "\(error)"
    }
  }

  /// Keeps the filters to resubscribe with after a failover in step with `/sub` and `/unsub`.
  private func noteSubscriptionChange(_ line: String) {
    if line.hasPrefix("+OK subscribed to ") {
      let filter = String(line.dropFirst(18))
      locked { if !topics.contains(filter) { topics.append(filter) } }
    } else if line.hasPrefix("+OK unsubscribed from ") {
      let filter = String(line.dropFirst(22))
      locked { topics.removeAll { $0 == filter } }
    }
  }

  // MARK: - The sender thread

  private func runSender() {
    condition.lock()
    defer { condition.unlock() }
    while !isStopping {
      guard let current = link else {
        isSenderIdle = true
        condition.wait()
        continue
      }
      var lines = window.lines(after: sentThrough)
      sentThrough = window.nextSequence - 1
      lines += controlLines
      controlLines = []
      if configuration.isDurable, let lastIndex, lastIndex > reportedIndex,
        lastIndex - reportedIndex >= 100
          || ContinuousClock.now - reportedAt
            >= configuration.positionInterval
      {
        lines.append(FailoverCommand.acknowledge(index: lastIndex).line)
        reportedIndex = lastIndex
        reportedAt = .now
      }
      if lines.isEmpty {
        isSenderIdle = true
        condition.broadcast()
        _ = condition.wait(
          until: Date(timeIntervalSinceNow: configuration.positionInterval.seconds))
        continue
      }
      isSenderIdle = false
      condition.unlock()
      do {
        try current.connection.sendAll(lines.joined(separator: "\n") + "\n")
      } catch {
        current.connection.close()  // the connection thread notices and fails over
      }
      condition.lock()
    }
  }
}
