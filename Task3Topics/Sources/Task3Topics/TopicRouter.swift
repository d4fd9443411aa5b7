/// Finds the subscribers of a topic without looking at every subscription.
///
/// Exact subscriptions live in a dictionary from topic name to subscribers: one hash lookup
/// per message. Wildcard subscriptions live in a tree with one level per token (a trie, as
/// in NATS's subject list): matching `a.b.c` walks at most three levels, following at each
/// level the child named by the token and the `*` child, and collecting any `>` subscribers
/// on the way. The cost of routing a message depends on the number of tokens in its topic and
/// of subscribers it reaches, not on how many subscriptions exist.
///
/// Subscribers are identified by number. The router has no lock of its own and is not
/// thread-safe: the broker keeps it behind its lock. Each subscriber is returned at most
/// once per topic, however many of its filters match.
public final class TopicRouter {
  /// One level of the wildcard tree.
  private final class Node {
    var children: [Substring: Node] = [:]
    /// Subscribers whose filter ends exactly at this node.
    var here: Set<Int> = []
    /// Subscribers whose filter ends with `>` below this node.
    var rest: Set<Int> = []

    var isEmpty: Bool { children.isEmpty && here.isEmpty && rest.isEmpty }
  }

  private var exact: [String: Set<Int>] = [:]
  private var wildcardRoot = Node()
  /// Every filter and its subscribers, for listing topics.
  private var filters: [String: Set<Int>] = [:]

  /// Creates an empty router.
  public init() {}

  /// Subscribes `subscriber` to `filter` (already validated).
  ///
  /// - Returns: `false` if it was already subscribed to exactly this filter.
  @discardableResult
  public func subscribe(_ subscriber: Int, to filter: String) -> Bool {
    guard filters[filter, default: []].insert(subscriber).inserted else { return false }
    if isWildcard(filter) {
      let tokens = filter.split(separator: ".")
      var node = wildcardRoot
      for token in tokens.dropLast() {
        node = child(of: node, named: token)
      }
      if tokens.last == ">" {
        node.rest.insert(subscriber)
      } else {
        child(of: node, named: tokens.last!).here.insert(subscriber)
      }
    } else {
      exact[filter, default: []].insert(subscriber)
    }
    return true
  }

  /// Removes `subscriber`'s subscription to `filter`.
  ///
  /// - Returns: `false` if it had no such subscription.
  @discardableResult
  public func unsubscribe(_ subscriber: Int, from filter: String) -> Bool {
    guard filters[filter]?.remove(subscriber) != nil else { return false }
    if filters[filter]?.isEmpty == true { filters[filter] = nil }
    if isWildcard(filter) {
      removeWildcard(subscriber, tokens: filter.split(separator: ".")[...], from: wildcardRoot)
    } else {
      exact[filter]?.remove(subscriber)
      if exact[filter]?.isEmpty == true { exact[filter] = nil }  // no empty topics left behind
    }
    return true
  }

  /// The subscribers of `topic` (a valid name, no wildcards), each once, in ascending order.
  public func subscribers(of topic: String) -> [Int] {
    var found = exact[topic] ?? []
    if !wildcardRoot.isEmpty {
      collect(topic.split(separator: ".")[...], from: wildcardRoot, into: &found)
    }
    return found.sorted()
  }

  /// Every filter subscribed to, with its number of subscribers, sorted by name.
  public var subscriptionCounts: [(filter: String, subscribers: Int)] {
    filters.map { ($0.key, $0.value.count) }.sorted { $0.filter < $1.filter }
  }

  /// The number of distinct filters subscribed to.
  public var filterCount: Int { filters.count }

  private func isWildcard(_ filter: String) -> Bool {
    filter.split(separator: ".").contains { $0 == "*" || $0 == ">" }
  }

  private func child(of node: Node, named token: Substring) -> Node {
    if let existing = node.children[token] { return existing }
    let created = Node()
    node.children[token] = created
    return created
  }

  /// Walks the tree along `tokens`, following literal and `*` children.
  private func collect(_ tokens: ArraySlice<Substring>, from node: Node, into found: inout Set<Int>)
  {
    guard let token = tokens.first else { return }
    // `>` below this node matches the remaining one or more tokens.
    found.formUnion(node.rest)
    let remaining = tokens.dropFirst()
    for next in [node.children[token], node.children["*"]] {
      guard let next else { continue }
      if remaining.isEmpty {
        found.formUnion(next.here)
      } else {
        collect(remaining, from: next, into: &found)
      }
    }
  }

  /// Removes a wildcard subscription, pruning nodes left empty. Returns whether `node` is
  /// now empty.
  @discardableResult
  private func removeWildcard(_ subscriber: Int, tokens: ArraySlice<Substring>, from node: Node)
    -> Bool
  {
    if tokens.count == 1 && tokens.first == ">" {
      node.rest.remove(subscriber)
    } else if let token = tokens.first, let next = node.children[token] {
      if tokens.count == 1 {
        next.here.remove(subscriber)
        if next.isEmpty { node.children[token] = nil }
      } else if removeWildcard(subscriber, tokens: tokens.dropFirst(), from: next) {
        node.children[token] = nil
      }
    }
    return node.isEmpty
  }
}
