import Foundation
import Task1Echo

/// One connected client, as the server knows it.
public final class Client: Sendable {
  /// A number unique for the server's lifetime, in connection order.
  public let number: Int
  /// What the client said it is.
  public let role: Role
  /// How the client is shown in displays and deliveries: `publisher-3`.
  public let name: String
  /// Where it connected from.
  public let peer: SocketAddress
  /// Its outbound queue: the only way anything is sent to it.
  public let outbox: Outbox

  /// Creates a client record.
  public init(number: Int, role: Role, name: String, peer: SocketAddress, outbox: Outbox) {
    self.number = number
    self.role = role
    self.name = name
    self.peer = peer
    self.outbox = outbox
  }
}

/// The set of connected clients, shared by every connection's thread.
///
/// Many threads add, remove and read clients at once. Without the lock, two threads
/// inserting into the dictionary at the same moment corrupt it (a Swift dictionary is not
/// thread-safe; it may crash, lose an entry or loop), and a publisher could read a
/// half-updated subscriber list. The lock makes each change and each read all-or-nothing.
///
/// Granularity: one lock for the whole registry, held only for a dictionary operation and
/// an array copy, never for I/O. Publishers take a snapshot of the subscribers (`subscribers`)
/// and deliver outside the lock, so a slow delivery never blocks a join or leave.
public final class ClientRegistry: @unchecked Sendable {
  private let lock = NSLock()
  // Guarded by `lock`: the clients by number, and the subscribers' outboxes as an array
  // rebuilt on every join or leave, so that the per-message snapshot is one retain, not a
  // dictionary walk.
  private var clients: [Int: Client] = [:]
  private var subscriberSnapshot: [Outbox] = []

  /// Creates an empty registry.
  public init() {}

  /// Adds `client`.
  public func add(_ client: Client) {
    lock.withLock {
      clients[client.number] = client
      rebuildSnapshot()
    }
  }

  /// Removes the client numbered `number`, if present.
  public func remove(number: Int) {
    lock.withLock {
      if clients.removeValue(forKey: number) != nil { rebuildSnapshot() }
    }
  }

  /// The subscribers' outboxes at this moment. Copy-on-write makes this cheap: the array
  /// is shared until the next join or leave replaces it.
  public var subscribers: [Outbox] {
    lock.withLock { subscriberSnapshot }
  }

  /// Every connected client, in connection order.
  public var all: [Client] {
    lock.withLock { clients.values.sorted { $0.number < $1.number } }
  }

  /// The number of connected clients.
  public var count: Int {
    lock.withLock { clients.count }
  }

  /// Call with `lock` held.
  private func rebuildSnapshot() {
    subscriberSnapshot = clients.values.filter { $0.role == .subscriber }
      .sorted { $0.number < $1.number }.map(\.outbox)
  }
}
