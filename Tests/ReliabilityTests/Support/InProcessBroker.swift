import Foundation
import Task1Echo
import Task3Topics

/// A `BrokerServer` run inside the test process, for the settings `task3-server` has no
/// option for (the hello timeout, the write deadline), so they can be made short enough to
/// test in a second. Everything else is tested on the real `task3-server` process.
final class InProcessBroker: Sendable {
  let server: BrokerServer
  let port: UInt16
  private let finished = DispatchSemaphore(value: 0)

  /// Binds a free loopback port and starts serving on a thread of its own.
  init(_ configure: (inout BrokerServer.Configuration) -> Void) throws {
    ignoreBrokenPipeSignal()
    var configuration = BrokerServer.Configuration()
    configure(&configuration)
    let listener = try Listener.bind(host: "127.0.0.1", port: 0)
    port = listener.localPort
    server = BrokerServer(
      listener: listener, log: ActivityLog(console: nil), configuration: configuration)
    let thread = Thread { [server, finished] in
      server.run()
      finished.signal()
    }
    thread.name = "in-process broker"
    thread.start()
  }

  /// The names of the clients connected now.
  var clientNames: [String] { server.broker.clients.map(\.name) }

  /// Stops the server and waits for `run()` to return.
  func stop() {
    server.stop(deadline: Date(timeIntervalSinceNow: 1))
    _ = finished.wait(timeout: .now() + 5)
  }
}
