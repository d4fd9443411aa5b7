import Foundation
import Synchronization
import Task1Echo
import Task2Roles

#if canImport(Glibc)
  import Glibc
#endif

/// A client connected to the broker.
public final class BrokerClient: Sendable {
  /// A number unique for the server's lifetime, in connection order.
  public let number: Int
  /// What the client is.
  public let role: Role
  /// Its unique name: chosen with `name=` in the hello, or `publisher-N` / `subscriber-N`.
  public let name: String
  /// Where it connected from.
  public let peer: SocketAddress
  /// Its outbound queue: everything sent to it goes through here.
  public let outbox: Outbox
  /// When the broker last heard from it (monotonic nanoseconds); written by its reader
  /// thread once per read, read by the keepalive sweep.
  let lastHeard = Atomic<Int64>(0)
  /// When the broker sent a keepalive `PING` still unanswered (0 if none). Keepalive only.
  let pingSent = Atomic<Int64>(0)
  /// Why the broker disconnected it, if the broker did (keepalive, limits). Set once.
  let disconnectReason = Guarded<String?>(nil)

  init(number: Int, role: Role, name: String, peer: SocketAddress, outbox: Outbox) {
    self.number = number
    self.role = role
    self.name = name
    self.peer = peer
    self.outbox = outbox
    lastHeard.store(monotonicNanoseconds(), ordering: .relaxed)
  }

  /// Notes that bytes arrived from the client: it is alive.
  func heardFrom(at time: Int64) {
    lastHeard.store(time, ordering: .relaxed)
    pingSent.store(0, ordering: .relaxed)
  }
}

/// The messages published on one topic, and the deliveries made for them, since the start:
/// what the live view turns into per-topic rates. Added to once per read, not per message.
public final class TopicCounter: Sendable {
  /// Messages published on the topic.
  public let published = Atomic<Int>(0)
  /// Deliveries of those messages (one message to three subscribers is three).
  public let delivered = Atomic<Int>(0)
}

/// The subscribers a topic's messages go to, valid while the broker's `generation` is
/// unchanged. Publishers reuse the one they used last for the rest of a read without a lock.
public final class Route: Sendable {
  /// The subscription generation this route was computed in.
  public let generation: Int
  /// The subscribers' outboxes, each once.
  public let outboxes: [Outbox]
  /// The topic's counters; `nil` past `Broker.maximumCountedTopics` topics.
  public let counter: TopicCounter?

  init(generation: Int, outboxes: [Outbox], counter: TopicCounter?) {
    self.generation = generation
    self.outboxes = outboxes
    self.counter = counter
  }
}

/// The broker's shared state: who is connected, who subscribes to what, and the counters.
///
/// One lock guards the client directory, the router and the route cache. Joins, leaves and
/// subscription changes are rare next to messages, so the lock is simple rather than
/// fine-grained. Messages avoid it: every change bumps `generation` (an atomic), and a
/// publisher whose `Route` has the current generation delivers without locking (it looks the
/// route up once per read).
public final class Broker: @unchecked Sendable {
  /// The broker's limits.
  public struct Limits: Sendable {
    /// The most subscriptions one client may hold.
    public var maximumSubscriptionsPerClient = 1000
    /// The token clients must present, if any.
    public var token: String?

    /// The defaults.
    public init() {}
  }

  private let limits: Limits
  private let lock = NSLock()
  // Guarded by `lock`:
  private var clientsByNumber: [Int: BrokerClient] = [:]
  private var clientsByName: [String: BrokerClient] = [:]
  private var filtersByClient: [Int: Set<String>] = [:]
  private let router = TopicRouter()
  private var routeCache: [String: Route] = [:]
  /// Per-topic counters, kept across route changes; at most `maximumCountedTopics`.
  private var topicCounters: [String: TopicCounter] = [:]

  /// The most topics counted one by one, so that a client inventing topics cannot make the
  /// counters grow without end (their messages still count in the totals).
  public static let maximumCountedTopics = 1000

  /// Bumped (under `lock`) by every change that can alter a route; read without the lock.
  private let generation = Atomic<Int>(0)
  /// Messages published, and deliveries made, since the start. Updated once per read.
  private let messagesIn = Atomic<Int>(0)
  private let messagesOut = Atomic<Int>(0)
  // Guarded inside `Guarded`: the rates measured by the last `sampleRates` call.
  private let rates = Guarded<(inPerSecond: Int, outPerSecond: Int, lastIn: Int, lastOut: Int)>(
    (0, 0, 0, 0))

  /// Creates an empty broker.
  public init(limits: Limits = .init()) {
    self.limits = limits
  }

  // MARK: - Clients

  /// Admits a client after its hello.
  ///
  /// - Throws: `ProtocolError` if the token is wrong or the name is taken.
  public func join(_ hello: BrokerHello, number: Int, peer: SocketAddress, outbox: Outbox)
    throws -> BrokerClient
  {
    if let expected = limits.token, !constantTimeEquals(hello.token ?? "", expected) {
      throw ProtocolError("authentication failed")
    }
    let name = hello.name ?? "\(hello.role.word)-\(number)"
    let client = BrokerClient(
      number: number, role: hello.role, name: name, peer: peer, outbox: outbox)
    try lock.withLock {
      guard clientsByName[name] == nil else {
        throw ProtocolError("name '\(name)' is already taken")
      }
      clientsByName[name] = client
      clientsByNumber[number] = client
    }
    return client
  }

  /// Removes a client and all its subscriptions.
  public func leave(_ client: BrokerClient) {
    lock.withLock {
      guard clientsByNumber.removeValue(forKey: client.number) != nil else { return }
      clientsByName[client.name] = nil
      for filter in filtersByClient.removeValue(forKey: client.number) ?? [] {
        router.unsubscribe(client.number, from: filter)
      }
      invalidateRoutes()
    }
  }

  /// The client called `name`, if connected.
  public func client(named name: String) -> BrokerClient? {
    lock.withLock { clientsByName[name] }
  }

  /// Every connected client, in connection order.
  public var clients: [BrokerClient] {
    lock.withLock { clientsByNumber.values.sorted { $0.number < $1.number } }
  }

  /// The filters `client` subscribes to, sorted.
  public func filters(of client: BrokerClient) -> [String] {
    lock.withLock { (filtersByClient[client.number] ?? []).sorted() }
  }

  // MARK: - Subscriptions

  /// Subscribes `client` to `filter`.
  ///
  /// - Throws: `ProtocolError` for a publisher, an invalid filter or too many subscriptions.
  public func subscribe(_ client: BrokerClient, to filter: String) throws {
    guard client.role == .subscriber else {
      throw ProtocolError("publishers cannot subscribe; connect as SUBSCRIBER")
    }
    if let problem = Topic.validateFilter(filter) { throw ProtocolError("\(problem)") }
    try lock.withLock {
      var filters = filtersByClient[client.number] ?? []
      guard !filters.contains(filter) else {
        throw ProtocolError("already subscribed to \(filter)")
      }
      guard filters.count < limits.maximumSubscriptionsPerClient else {
        throw ProtocolError(
          "subscription limit reached (\(limits.maximumSubscriptionsPerClient) per client)")
      }
      filters.insert(filter)
      filtersByClient[client.number] = filters
      router.subscribe(client.number, to: filter)
      invalidateRoutes()
    }
  }

  /// Removes `client`'s subscription to `filter`.
  ///
  /// - Throws: `ProtocolError` if it had none.
  public func unsubscribe(_ client: BrokerClient, from filter: String) throws {
    try lock.withLock {
      guard filtersByClient[client.number]?.remove(filter) != nil else {
        throw ProtocolError("not subscribed to \(filter)")
      }
      router.unsubscribe(client.number, from: filter)
      invalidateRoutes()
    }
  }

  /// Every filter with its number of subscribers.
  public var subscriptionCounts: [(filter: String, subscribers: Int)] {
    lock.withLock { router.subscriptionCounts }
  }

  /// The `TOPICS` reply: every filter with its number of subscribers.
  public var topicsReply: String {
    (["+OK TOPICS"] + subscriptionCounts.map { "\($0.filter):\($0.subscribers)" })
      .joined(separator: " ")
  }

  /// The `WHO` reply: every client with its role and filters, in connection order.
  public var whoReply: String {
    let entries = clients.map { member in
      "\(member.name):\(member.role):\(filters(of: member).joined(separator: ","))"
    }
    return (["+OK WHO"] + entries).joined(separator: " ")
  }

  // MARK: - Routing

  /// The current subscription generation; a `Route` with another one is stale.
  public var currentGeneration: Int { generation.load(ordering: .acquiring) }

  /// The route for `topic` (a valid name), from the cache or computed now.
  public func route(for topic: String) -> Route {
    lock.withLock {
      if let cached = routeCache[topic] { return cached }
      let outboxes = router.subscribers(of: topic).compactMap { clientsByNumber[$0]?.outbox }
      var counter = topicCounters[topic]
      if counter == nil && topicCounters.count < Self.maximumCountedTopics {
        counter = TopicCounter()
        topicCounters[topic] = counter
      }
      let route = Route(
        generation: generation.load(ordering: .relaxed), outboxes: outboxes, counter: counter)
      if routeCache.count > 10_000 { routeCache.removeAll() }  // bound memory for many topics
      routeCache[topic] = route
      return route
    }
  }

  /// Call with `lock` held.
  private func invalidateRoutes() {
    routeCache.removeAll(keepingCapacity: true)
    generation.add(1, ordering: .releasing)
  }

  // MARK: - Statistics

  /// Every counted topic with its messages published and deliveries made so far, by name.
  public var topicTotals: [(topic: String, published: Int, delivered: Int)] {
    let counters = lock.withLock { topicCounters }
    return counters.map {
      (
        $0.key, $0.value.published.load(ordering: .relaxed),
        $0.value.delivered.load(ordering: .relaxed)
      )
    }.sorted { $0.topic < $1.topic }
  }

  /// Adds one read's worth of counts.
  func count(published: Int, delivered: Int) {
    if published > 0 { messagesIn.add(published, ordering: .relaxed) }
    if delivered > 0 { messagesOut.add(delivered, ordering: .relaxed) }
  }

  /// Updates the rates; call once a second.
  func sampleRates(overSeconds seconds: Double) {
    let totalIn = messagesIn.load(ordering: .relaxed)
    let totalOut = messagesOut.load(ordering: .relaxed)
    rates.withLock { rates in
      rates.inPerSecond = Int(Double(totalIn - rates.lastIn) / seconds)
      rates.outPerSecond = Int(Double(totalOut - rates.lastOut) / seconds)
      rates.lastIn = totalIn
      rates.lastOut = totalOut
    }
  }

  /// A snapshot of the broker's counters.
  public var statistics: Statistics {
    let (clientCount, topicCount) = lock.withLock { (clientsByNumber.count, router.filterCount) }
    let current = rates.value
    return Statistics(
      clients: clientCount, topics: topicCount, messagesIn: messagesIn.load(ordering: .relaxed),
      messagesOut: messagesOut.load(ordering: .relaxed), inPerSecond: current.inPerSecond,
      outPerSecond: current.outPerSecond)
  }

  /// The broker's counters at one moment.
  public struct Statistics: Sendable, Equatable {
    public var clients: Int
    public var topics: Int
    public var messagesIn: Int
    public var messagesOut: Int
    public var inPerSecond: Int
    public var outPerSecond: Int

    /// The `STATS` reply.
    public var line: String {
      "+OK STATS clients=\(clients) topics=\(topics) in=\(messagesIn) out=\(messagesOut)"
        + " in_rate=\(inPerSecond)/s out_rate=\(outPerSecond)/s"
    }
  }
}

/// Compares two secrets in time that does not depend on where they first differ, so that
/// timing the broker's answers cannot reveal the token a byte at a time.
func constantTimeEquals(_ left: String, _ right: String) -> Bool {
  let a = Array(left.utf8)
  let b = Array(right.utf8)
  var difference = UInt8(a.count == b.count ? 0 : 1)
  for index in 0..<max(a.count, b.count) {
    difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
  }
  return difference == 0
}

/// Monotonic time in nanoseconds, for timeouts: unaffected by changes to the wall clock.
func monotonicNanoseconds() -> Int64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
