import BenchmarkKit

/// Measures a broker's memory with many connected, subscribed, silent clients: what each
/// connection costs the broker when nothing is happening (a thread and its stack, buffers,
/// bookkeeping).
struct IdleClients {
  let target: Target
  let broker: BrokerProcess
  let clients: Int
  let repetition: Int
  let timeout: Duration

  /// Connects the clients, reads the broker's memory, and disconnects them.
  func measure() -> MemoryMeasurement {
    var measurement = MemoryMeasurement(
      target: target.name, repetition: repetition, clients: clients, baselineKilobytes: 0,
      loadedKilobytes: 0, baselineThreads: 0, loadedThreads: 0)
    guard let before = broker.memory() else {
      measurement.failure = "cannot read /proc/\(broker.id)/status"
      return measurement
    }
    measurement.baselineKilobytes = before.kilobytes
    measurement.baselineThreads = before.threads
    var connections: [BrokerConnection] = []
    connections.reserveCapacity(clients)
    defer { connections.forEach { $0.close() } }
    do {
      for index in 0..<clients {
        let connection = try BrokerConnection(
          to: target, label: "idle client \(index)", timeout: timeout)
        connections.append(connection)
        // Every handshake is confirmed, so the broker has set the client up completely.
        _ = try connection.perform(
          target.wireProtocol.subscriberHandshake(topic: "bench.idle"),
          pong: target.wireProtocol.pong)
      }
    } catch {
      measurement.failure = error.description
      return measurement
    }
    guard let after = broker.memory() else {
      measurement.failure = "cannot read /proc/\(broker.id)/status"
      return measurement
    }
    measurement.loadedKilobytes = after.kilobytes
    measurement.loadedThreads = after.threads
    return measurement
  }
}
