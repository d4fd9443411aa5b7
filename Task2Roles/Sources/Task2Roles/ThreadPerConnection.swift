import Foundation
import Task1Echo

/// Accepts connections and gives each one a thread of its own.
///
/// Task 1's server could serve one client at a time because its only thread was busy
/// reading that client. Here the accepting thread does nothing but accept; every connection
/// is handed to a new thread that may block on its client as long as it likes. Threads are
/// the simplest way to make blocking code concurrent; their cost (a stack each, a context
/// switch per wake-up) is what event loops such as epoll avoid, at the price of harder code.
public final class ThreadPerConnection: Sendable {
  /// The listening socket.
  public let listener: Listener
  /// The most connections served at once; more are refused so that a flood of
  /// connections cannot exhaust the server's threads and descriptors.
  public let maximumConnections: Int
  // Guarded inside `Guarded`: the number of connections being served.
  private let active = Guarded(0)

  /// Creates the acceptor; `run` starts it.
  public init(listener: Listener, maximumConnections: Int = 1024) {
    self.listener = listener
    self.maximumConnections = maximumConnections
  }

  /// The number of connections being served now.
  public var activeConnections: Int { active.value }

  /// Accepts connections until `stop()`, running `serve` on a new thread for each. Past the
  /// limit, `refuse` runs on the accepting thread instead (it should say why and close).
  public func run(
    serve: @escaping @Sendable (Connection) -> Void,
    refuse: @escaping @Sendable (Connection) -> Void
  ) {
    while true {
      let connection: Connection
      do {
        connection = try listener.accept()
      } catch SocketError.closed {
        return
      } catch {
        // EMFILE (out of descriptors) and the like: pause so a lasting failure does not spin,
        // then carry on; the server must outlive it.
        Console.standardError.writeLine("accept failed: \(error); retrying")
        Thread.sleep(forTimeInterval: 0.1)
        continue
      }
      let admitted = active.withLock { count in
        guard count < maximumConnections else { return false }
        count += 1
        return true
      }
      guard admitted else {
        refuse(connection)
        continue
      }
      let thread = Thread { [active] in
        serve(connection)
        active.withLock { $0 -= 1 }
      }
      thread.name = "client \(connection.peer)"
      thread.stackSize = 512 << 10  // plenty for this code; 1,000 clients stay cheap
      thread.start()
    }
  }

  /// Stops accepting; `run` returns. Connections already accepted are the caller's to end.
  public func stop() {
    listener.close()
  }
}
