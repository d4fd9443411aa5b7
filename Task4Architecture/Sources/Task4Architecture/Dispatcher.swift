import Foundation
import Task3Topics

/// Hands committed entries to subscribers and acknowledgements to publishers, on one thread.
///
/// One thread does all of it so that every subscriber receives its lines in index order:
/// its hello reply, then its catch-up, then live entries, with nothing able to overtake.
/// The dispatcher takes a round of work from `ReplicaCore` under the lock, then formats and
/// queues it without the lock (queueing into an `Outbox` never waits for the network).
final class Dispatcher: Sendable {
  /// A subscriber being fed: where its stream stands.
  private final class Feed {
    let channel: ClientChannel
    let wantsIndexes: Bool
    /// The newest index queued for it; anything at or below is never sent again.
    var cursor: UInt64
    /// Bytes for it in the current round.
    var pending: [UInt8] = []

    init(channel: ClientChannel, wantsIndexes: Bool, cursor: UInt64) {
      self.channel = channel
      self.wantsIndexes = wantsIndexes
      self.cursor = cursor
    }
  }

  private let core: ReplicaCore
  private let broker: Broker

  init(core: ReplicaCore, broker: Broker) {
    self.core = core
    self.broker = broker
  }

  /// Starts the dispatcher's thread.
  func start() {
    let thread = Thread { [self] in run() }
    thread.name = "dispatcher"
    thread.start()
  }

  private func run() {
    // Owned by this thread alone, so no lock: the feeds by their outbox.
    var feeds: [ObjectIdentifier: Feed] = [:]
    while let delivery = core.takeDelivery(waitingUntil: Date(timeIntervalSinceNow: 0.5)) {
      if delivery.resetsFeeds { feeds = [:] }
      for removed in delivery.removedFeeds { feeds[removed] = nil }
      for new in delivery.newFeeds {
        feeds[ObjectIdentifier(new.request.channel.outbox)] = start(new, epoch: delivery.epoch)
      }
      deliver(delivery.entries, to: feeds)
      acknowledge(delivery.acknowledgements)
    }
  }

  /// Sends a new subscriber its hello reply and catch-up, and returns its feed.
  private func start(_ new: Delivery.NewFeed, epoch: UInt64) -> Feed {
    let request = new.request
    var reply = "+OK HELLO \(request.channel.name) epoch=\(epoch)"
    if request.wantsIndexes { reply += " after=\(new.after) expired=\(new.expired)" }
    var bytes = Array((reply + "\n").utf8)
    for entry in new.catchUp {
      let line = request.wantsIndexes ? entry.indexedDelivery : entry.plainDelivery
      bytes.append(contentsOf: line.utf8)
      bytes.append(0x0A)
    }
    request.channel.send(bytes: bytes)
    let cursor = max(new.after, new.catchUp.last?.index ?? 0)
    return Feed(channel: request.channel, wantsIndexes: request.wantsIndexes, cursor: cursor)
  }

  /// Routes each entry to its topic's subscribers (Task 3's router and route cache), then
  /// queues each subscriber's share of the round with one enqueue.
  private func deliver(_ entries: [LogEntry], to feeds: [ObjectIdentifier: Feed]) {
    guard !entries.isEmpty, !feeds.isEmpty else { return }
    var touched: [Feed] = []
    var routeTopic: String?
    var route: [Feed] = []
    for entry in entries {
      if entry.topic != routeTopic {
        routeTopic = entry.topic
        route = broker.route(for: entry.topic).outboxes.compactMap { feeds[ObjectIdentifier($0)] }
      }
      var indexed: [UInt8]?
      var plain: [UInt8]?
      for feed in route where entry.index > feed.cursor {
        if feed.pending.isEmpty { touched.append(feed) }
        if feed.wantsIndexes {
          if indexed == nil { indexed = Array((entry.indexedDelivery + "\n").utf8) }
          feed.pending.append(contentsOf: indexed!)
        } else {
          if plain == nil { plain = Array((entry.plainDelivery + "\n").utf8) }
          feed.pending.append(contentsOf: plain!)
        }
        feed.cursor = entry.index
      }
    }
    for feed in touched {
      feed.channel.send(bytes: feed.pending)
      feed.pending.removeAll(keepingCapacity: feed.pending.capacity <= 1 << 20)
    }
  }

  /// Queues `+ACK` lines, one enqueue per publisher.
  private func acknowledge(_ acknowledgements: [(channel: ClientChannel, sequence: UInt64)]) {
    guard !acknowledgements.isEmpty else { return }
    var order: [ObjectIdentifier] = []
    var lines: [ObjectIdentifier: (ClientChannel, [UInt8])] = [:]
    for (channel, sequence) in acknowledgements {
      let key = ObjectIdentifier(channel)
      if lines[key] == nil {
        order.append(key)
        lines[key] = (channel, [])
      }
      lines[key]!.1.append(contentsOf: "+ACK \(sequence)\n".utf8)
    }
    for key in order {
      let (channel, bytes) = lines[key]!
      channel.send(bytes: bytes)
    }
  }
}
