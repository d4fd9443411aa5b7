import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The socket layer over real loopback sockets. Every receive has a timeout.
@Suite("Socket layer")
struct SocketTests {
  init() { ignoreBrokenPipeSignal() }

  /// Accepts one connection from `listener` on a background thread.
  private func acceptInBackground(_ listener: Listener) -> Guarded<Connection?> {
    let accepted = Guarded<Connection?>(nil)
    let done = DispatchSemaphore(value: 0)
    Thread {
      accepted.value = try? listener.accept()
      done.signal()
    }.start()
    _ = done.wait(timeout: .now() + 10)
    return accepted
  }

  /// A connected pair over loopback: (client side, server side).
  private func connectedPair(host: String = "127.0.0.1") throws -> (Connection, Connection) {
    let listener = try Listener.bind(host: host, port: 0)
    let client = try Connection.connect(host: host, port: listener.localPort)
    let server = try #require(acceptInBackground(listener).value)
    try client.socket.setReceiveTimeout(.seconds(10))
    try server.socket.setReceiveTimeout(.seconds(10))
    return (client, server)
  }

  @Test("binding port 0 reports the port the kernel chose")
  func portZero() throws {
    let listener = try Listener.bind(port: 0)
    #expect(listener.localPort != 0)
    #expect(try listener.socket.localAddress().port == listener.localPort)
  }

  @Test(
    "bytes sent arrive in order, over IPv4 and IPv6", arguments: ["127.0.0.1", "::1", "localhost"])
  func roundTrip(host: String) throws {
    let (client, server) = try connectedPair(host: host)
    try client.sendAll("hello, server\n")
    var received: [UInt8] = []
    while received.count < 14, let bytes = try server.receive() { received += bytes }
    #expect(String(decoding: received, as: UTF8.self) == "hello, server\n")
  }

  @Test("sendAll delivers 8 MiB through a slow reader: partial writes are completed")
  func sendAllCompletesPartialWrites() throws {
    let (client, server) = try connectedPair()
    let payload = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let sender = Thread {
      try? client.sendAll(payload); client.finishSending()
    }
    sender.start()
    var received: [UInt8] = []
    received.reserveCapacity(payload.count)
    while let bytes = try server.receive(maximumCount: 1000) { received += bytes }
    #expect(received.count == payload.count)
    #expect(received == payload)
  }

  @Test("receive returns end of stream (nil) after the peer finishes sending")
  func endOfStream() throws {
    let (client, server) = try connectedPair()
    try client.sendAll("last words")
    client.finishSending()
    var received: [UInt8] = []
    while let bytes = try server.receive() { received += bytes }
    #expect(received == Array("last words".utf8))
  }

  @Test("sending to a closed peer throws .disconnected instead of raising SIGPIPE")
  func sendToClosedPeer() throws {
    var (client, server): (Connection?, Connection) = try connectedPair()
    client = nil  // releases the only reference: the descriptor is closed
    #expect(client == nil)
    #expect(throws: SocketError.disconnected) {
      for _ in 0..<1000 { try server.sendAll([UInt8](repeating: 0, count: 65_536)) }
    }
  }

  @Test("a receive timeout throws .timedOut instead of hanging")
  func receiveTimeout() throws {
    let (client, server) = try connectedPair()
    try client.socket.setReceiveTimeout(.milliseconds(50))
    _ = withExtendedLifetime(server) {  // the peer stays open and silent
      #expect(throws: SocketError.timedOut) { try client.receive() }
    }
  }

  @Test("binding a port in use fails with a recognisable error")
  func addressInUse() throws {
    let first = try Listener.bind(port: 0)
    do {
      _ = try Listener.bind(port: first.localPort)
      Issue.record("second bind succeeded")
    } catch let error as SocketError {
      #expect(error.isAddressInUse)
    }
  }

  @Test("connecting where nothing listens is refused")
  func connectionRefused() throws {
    let port = try Listener.bind(host: "127.0.0.1", port: 0).localPort  // released: port free
    do {
      _ = try Connection.connect(host: "127.0.0.1", port: port)
      Issue.record("connect succeeded")
    } catch let error as SocketError {
      #expect(error.errno == ECONNREFUSED)
    }
  }

  @Test("an unknown host is reported as unresolvable")
  func unknownHost() {
    #expect {
      _ = try Connection.connect(host: "no-such-host.invalid", port: 80)
    } throws: { error in
      if case SocketError.unresolvable = error { return true }
      return false
    }
  }

  @Test("closing a listener wakes a thread blocked in accept")
  func closeWakesAccept() throws {
    let listener = try Listener.bind(port: 0)
    let outcome = Guarded<String>("still waiting")
    let done = DispatchSemaphore(value: 0)
    Thread {
      do {
        _ = try listener.accept()
        outcome.value = "accepted"
      } catch {
        outcome.value = "\(error)"
      }
      done.signal()
    }.start()
    listener.close()
    #expect(done.wait(timeout: .now() + 10) == .success)
    #expect(outcome.value == "\(SocketError.closed)")
  }

  @Test("the peer address is shown as host:port, IPv6 in brackets")
  func addressDescription() throws {
    let (v4, _) = try connectedPair(host: "127.0.0.1")
    #expect(v4.peer.description.hasPrefix("127.0.0.1:"))
    let (v6, _) = try connectedPair(host: "::1")
    #expect(v6.peer.description.hasPrefix("[::1]:"))
  }
}
