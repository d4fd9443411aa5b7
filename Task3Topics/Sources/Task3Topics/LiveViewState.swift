/// Everything the live view shows at one moment: the body of `GET /api/state` and of each
/// server-sent event on `/events`, as JSON.
///
/// ```json
/// {"activity":[{"kind":"join","sequence":1,"text":"sam joined from 127.0.0.1:50312 as ...",
///   "time":"14:03:27.041"}],
///  "clients":[{"name":"sam","number":1,"peer":"127.0.0.1:50312","role":"subscriber",
///   "topics":["news"]}],
///  "rates":[{"inPerSecond":0,"outPerSecond":0,"uptimeMilliseconds":8120}],
///  "server":{"name":"task3-server","port":5000,"showsMessages":false,"uptimeMilliseconds":8120},
///  "topics":[{"filter":"news","subscribers":1}],
///  "totals":{"clients":1,"inPerSecond":0,"messagesIn":0,"messagesOut":0,"outPerSecond":0,
///   "topics":1}}
/// ```
///
/// Every part is a plain value, so a later stage extends the view by adding fields: a
/// replicated broker fills `nodes` (omitted while `nil`), and the page shows a panel for
/// them when they are present.
public struct LiveViewState: Codable, Equatable, Sendable {
  /// The server the view belongs to.
  public struct Server: Codable, Equatable, Sendable {
    /// The program's name, shown as the page's title: `task3-server`.
    public var name: String
    /// The port its clients connect to.
    public var port: Int
    /// How long it has been running.
    public var uptimeMilliseconds: Int
    /// Whether message texts appear in the activity feed (`--http-show-messages`).
    public var showsMessages: Bool

    /// Creates the description of a server.
    public init(name: String, port: Int, uptimeMilliseconds: Int, showsMessages: Bool) {
      self.name = name
      self.port = port
      self.uptimeMilliseconds = uptimeMilliseconds
      self.showsMessages = showsMessages
    }

    /// Creates the description of a server started at `startTime`.
    public init(
      name: String, port: UInt16, startTime: ContinuousClock.Instant, showsMessages: Bool
    ) {
      self.name = name
      self.port = Int(port)
      let (seconds, attoseconds) = (ContinuousClock.now - startTime).components
      uptimeMilliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
      self.showsMessages = showsMessages
    }
  }

  /// The broker's counters (`STATS`).
  public struct Totals: Codable, Equatable, Sendable {
    /// Clients connected.
    public var clients: Int
    /// Distinct subscription filters.
    public var topics: Int
    /// Messages published since the start.
    public var messagesIn: Int
    /// Deliveries made since the start (one message to three subscribers is three).
    public var messagesOut: Int
    /// Messages published per second, over the last second measured.
    public var inPerSecond: Int
    /// Deliveries per second, over the last second measured.
    public var outPerSecond: Int

    /// Creates totals.
    public init(
      clients: Int, topics: Int, messagesIn: Int, messagesOut: Int, inPerSecond: Int,
      outPerSecond: Int
    ) {
      self.clients = clients
      self.topics = topics
      self.messagesIn = messagesIn
      self.messagesOut = messagesOut
      self.inPerSecond = inPerSecond
      self.outPerSecond = outPerSecond
    }
  }

  /// A connected client (`WHO`).
  public struct Client: Codable, Equatable, Sendable {
    /// Its connection number, unique for the server's lifetime.
    public var number: Int
    /// Its name.
    public var name: String
    /// `publisher` or `subscriber`.
    public var role: String
    /// Where it connected from.
    public var peer: String
    /// The filters it subscribes to, sorted (none for a publisher).
    public var topics: [String]

    /// Creates a client description.
    public init(number: Int, name: String, role: String, peer: String, topics: [String]) {
      self.number = number
      self.name = name
      self.role = role
      self.peer = peer
      self.topics = topics
    }
  }

  /// A subscription filter and how many subscribe to it (`TOPICS`).
  public struct TopicSummary: Codable, Equatable, Sendable {
    /// The filter, perhaps with wildcards: `sports.*`.
    public var filter: String
    /// The number of subscribers.
    public var subscribers: Int

    /// Creates a topic summary.
    public init(filter: String, subscribers: Int) {
      self.filter = filter
      self.subscribers = subscribers
    }
  }

  /// The message rates at one moment, for the chart.
  public struct RateSample: Codable, Equatable, Sendable {
    /// When, as the server's uptime.
    public var uptimeMilliseconds: Int
    /// Messages published per second then.
    public var inPerSecond: Int
    /// Deliveries per second then.
    public var outPerSecond: Int

    /// Creates a sample.
    public init(uptimeMilliseconds: Int, inPerSecond: Int, outPerSecond: Int) {
      self.uptimeMilliseconds = uptimeMilliseconds
      self.inPerSecond = inPerSecond
      self.outPerSecond = outPerSecond
    }
  }

  /// One broker of a replicated group, for a stage that has several (Task 4). Fields a stage
  /// cannot measure stay `nil` and are left out of the JSON.
  public struct Node: Codable, Equatable, Sendable {
    /// Its name, such as `broker-a`.
    public var name: String
    /// Where its clients connect, `host:port`.
    public var address: String
    /// `primary`, `backup`, or another word for a state (`down`, `candidate`).
    public var role: String
    /// The term of the primary this node follows: it goes up at every failover, so a node
    /// still in an old epoch shows up at a glance.
    public var epoch: Int
    /// How many messages this node is behind the primary.
    public var replicationLagMessages: Int?
    /// How long ago this node last applied an update from the primary, in milliseconds.
    public var replicationLagMilliseconds: Int?
    /// Whether this is the node serving the page.
    public var isServingThisView: Bool

    /// Creates a node description.
    public init(
      name: String, address: String, role: String, epoch: Int, replicationLagMessages: Int? = nil,
      replicationLagMilliseconds: Int? = nil, isServingThisView: Bool = false
    ) {
      self.name = name
      self.address = address
      self.role = role
      self.epoch = epoch
      self.replicationLagMessages = replicationLagMessages
      self.replicationLagMilliseconds = replicationLagMilliseconds
      self.isServingThisView = isServingThisView
    }
  }

  /// The server.
  public var server: Server
  /// Its counters.
  public var totals: Totals
  /// Connected clients in connection order: the first `clientLimit` (`totals.clients` has
  /// the number), so that a thousand idle benchmark clients do not make a megabyte page.
  public var clients: [Client]
  /// Filters with their subscriber counts, sorted: the first `topicLimit`.
  public var topics: [TopicSummary]
  /// Recent events, oldest first.
  public var activity: [ActivityFeed.Event]
  /// Recent rates, oldest first, about a second apart (see `RateHistory`), for the chart.
  public var rates: [RateSample]
  /// The brokers of a replicated group; `nil` (and absent from the JSON) for one broker.
  public var nodes: [Node]?
  /// Each topic published on, with its rates (see `TopicRateMeter`).
  public var topicRates: [TopicRate] = []

  /// One topic's message rates.
  public struct TopicRate: Codable, Equatable, Sendable {
    /// The topic name (as published to, not a filter).
    public var topic: String
    /// Messages published on it per second, over the last second or so.
    public var inPerSecond: Int
    /// Deliveries of its messages per second.
    public var outPerSecond: Int
    /// Its recent `inPerSecond` values, oldest first, about a second apart: a small chart.
    public var recentIn: [Int]

    /// Creates a topic's rates.
    public init(topic: String, inPerSecond: Int, outPerSecond: Int, recentIn: [Int]) {
      self.topic = topic
      self.inPerSecond = inPerSecond
      self.outPerSecond = outPerSecond
      self.recentIn = recentIn
    }
  }

  /// Creates a state from its parts.
  public init(
    server: Server, totals: Totals, clients: [Client], topics: [TopicSummary],
    activity: [ActivityFeed.Event], rates: [RateSample] = [], nodes: [Node]? = nil
  ) {
    self.server = server
    self.totals = totals
    self.clients = clients
    self.topics = topics
    self.activity = activity
    self.rates = rates
    self.nodes = nodes
  }

  /// Takes a snapshot of `broker` and `activity`.
  ///
  /// Each piece is copied under the broker's lock and nothing else is done while it is held,
  /// so the broker waits no longer than for a `WHO` or `TOPICS` command; publishers whose
  /// routes are cached do not take that lock at all. The pieces are taken one after
  /// another, so a client that leaves meanwhile may appear without its topics: harmless for
  /// a display refreshed twice a second.
  public init(
    broker: Broker, activity: ActivityFeed, server: Server, clientLimit: Int = 200,
    topicLimit: Int = 200, activityLimit: Int = 50
  ) {
    let statistics = broker.statistics
    let clients = broker.clients.prefix(clientLimit).map { client in
      Client(
        number: client.number, name: client.name, role: client.role.word,
        peer: client.peer.description, topics: broker.filters(of: client))
    }
    let topics = broker.subscriptionCounts.prefix(topicLimit).map {
      TopicSummary(filter: $0.filter, subscribers: $0.subscribers)
    }
    self.init(
      server: server,
      totals: Totals(
        clients: statistics.clients, topics: statistics.topics,
        messagesIn: statistics.messagesIn, messagesOut: statistics.messagesOut,
        inPerSecond: statistics.inPerSecond, outPerSecond: statistics.outPerSecond),
      clients: clients, topics: topics, activity: activity.recent(activityLimit))
  }
}
