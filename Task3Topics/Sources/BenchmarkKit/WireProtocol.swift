#if canImport(Glibc)
  import Glibc
#endif

/// The protocols the benchmark speaks: this workbook's Task 2 and Task 3 protocols (see
/// `notes/protocol.md`) and the NATS client protocol, so a production broker can be measured
/// by the same client in the same run.
public enum WireProtocol: String, CaseIterable, Sendable, Codable {
  /// `task2-server`: `HELLO` with a role, then plain lines; one implicit topic.
  case task2
  /// `task3-server`: `HELLO` with a role, `SUB topic`, `PUB topic text`.
  case task3
  /// `nats-server`: `CONNECT`, `SUB subject sid`, `PUB subject bytes` with CRLF endings.
  case nats

  /// Whether the protocol has topics; without them every subscriber gets every message, so
  /// only workloads with one topic apply.
  public var supportsTopics: Bool { self != .task2 }

  /// The steps that make a fresh connection a subscriber of `topic`, ending only when the
  /// broker has confirmed the subscription (so no message published afterwards can miss it).
  public func subscriberHandshake(topic: String) -> [HandshakeStep] {
    switch self {
    case .task2:
      [.send("HELLO SUBSCRIBER\n"), .expect("+OK ")]
    case .task3:
      [
        .send("HELLO SUBSCRIBER\n"), .expect("+OK HELLO "),
        .send("SUB \(topic)\n"), .expect("+OK subscribed to \(topic)"),
      ]
    case .nats:
      // NATS confirms nothing with verbose off; a PING is answered only after the SUB before
      // it has been processed, so its PONG is the confirmation.
      [
        .expect("INFO "),
        .send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB \(topic) 1\r\nPING\r\n"),
        .expect("PONG"),
      ]
    }
  }

  /// The steps that make a fresh connection a publisher. The text after the last expected
  /// prefix is the name the broker will show as the sender (empty for NATS, which has none).
  public func publisherHandshake() -> [HandshakeStep] {
    switch self {
    case .task2:
      [.send("HELLO PUBLISHER\n"), .expect("+OK ")]
    case .task3:
      [.send("HELLO PUBLISHER\n"), .expect("+OK HELLO ")]
    case .nats:
      [
        .expect("INFO "),
        .send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n"),
        .expect("PONG"),
      ]
    }
  }

  /// Whether deliveries name their sender, so the subscriber can check it.
  public var namesSender: Bool { self != .nats }

  /// The bytes around each payload a publisher sends on `topic`.
  public func publishFrame(topic: String, payloadSize: Int) -> Frame {
    switch self {
    case .task2: Frame(prefix: [], suffix: Array("\n".utf8))
    case .task3: Frame(prefix: Array("PUB \(topic) ".utf8), suffix: Array("\n".utf8))
    case .nats:
      Frame(prefix: Array("PUB \(topic) \(payloadSize)\r\n".utf8), suffix: Array("\r\n".utf8))
    }
  }

  /// The answer to a broker's keepalive `PING`.
  public var pong: [UInt8] {
    Array((self == .nats ? "PONG\r\n" : "PONG\n").utf8)
  }
}

/// One step of a connection's opening exchange.
public enum HandshakeStep: Equatable, Sendable {
  /// Send these bytes.
  case send(String)
  /// Read lines until one starts with this prefix. A `-ERR` line, end of stream or a
  /// timeout fails the handshake; a `PING` is answered; any other line is unexpected.
  case expect(String)
}

/// The bytes a publisher writes before and after each payload.
public struct Frame: Equatable, Sendable {
  /// Written before the payload (`PUB topic `).
  public var prefix: [UInt8]
  /// Written after it (the line ending).
  public var suffix: [UInt8]

  /// Creates a frame.
  public init(prefix: [UInt8], suffix: [UInt8]) {
    self.prefix = prefix
    self.suffix = suffix
  }

  /// The bytes one message takes on the wire.
  public func size(payloadSize: Int) -> Int { prefix.count + payloadSize + suffix.count }
}
