#if canImport(Glibc)
  import Glibc
#endif

/// Where the parts of one delivery lie in the received bytes.
public struct Delivery: Equatable, Sendable {
  /// The topic or subject, for protocols whose deliveries carry it.
  public var topic: Range<Int>?
  /// The sender's name, for protocols whose deliveries carry it.
  public var sender: Range<Int>?
  /// The payload.
  public var payload: Range<Int>

  /// Creates a delivery description.
  public init(topic: Range<Int>?, sender: Range<Int>?, payload: Range<Int>) {
    self.topic = topic
    self.sender = sender
    self.payload = payload
  }
}

/// One thing a broker sent a subscriber.
public enum Incoming: Equatable, Sendable {
  /// A message.
  case delivery(Delivery)
  /// A keepalive the subscriber must answer with `WireProtocol.pong`.
  case ping
  /// A line to skip (NATS `INFO` updates, `PONG`, `+OK`).
  case ignored
  /// An `-ERR` line: the broker is about to close the connection.
  case serverError(String)
  /// A `MSG` line without the fields a delivery has; counted as garbled.
  case malformedDelivery(String)
  /// A line the protocol does not send to a subscriber.
  case unexpected(String)
}

/// A stream that cannot be parsed any further.
public enum StreamError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A line went past the limit without ending.
  case lineTooLong(limit: Int)
  /// A NATS message whose payload is not followed by CRLF: the byte count lied, so the
  /// stream cannot be resynchronised.
  case badFrame(String)

  public var description: String {
    switch self {
    case .lineTooLong(let limit): "line longer than \(limit) bytes"
    case .badFrame(let line): "message frame does not match its byte count: \(line)"
    }
  }
}

/// Splits what a broker sends a subscriber into deliveries and control lines, without
/// copying: it reports where things are in the caller's buffer.
///
/// It is a pure function of the bytes, so a caller can receive into one buffer, call
/// `next(in:)` until it returns `nil` (an incomplete item), move the rest to the front and
/// receive again.
public struct DeliveryParser: Sendable {
  /// The protocol being parsed.
  public let wireProtocol: WireProtocol
  /// The longest line accepted (the NATS control line limit, and the workbook's).
  public let maximumLineLength: Int

  /// Creates a parser for `wireProtocol`.
  public init(wireProtocol: WireProtocol, maximumLineLength: Int = 4096) {
    self.wireProtocol = wireProtocol
    self.maximumLineLength = maximumLineLength
  }

  /// Parses the first item in `bytes`.
  ///
  /// - Returns: The item and how many bytes it took, or `nil` if `bytes` holds only part of
  ///   one.
  /// - Throws: `StreamError` when the stream is broken beyond recovery.
  public func next(in bytes: UnsafeRawBufferPointer) throws(StreamError) -> (
    item: Incoming, consumed: Int
  )? {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
    guard let found = memchr(base, 0x0A, bytes.count) else {
      if bytes.count > maximumLineLength + 1 { throw .lineTooLong(limit: maximumLineLength) }
      return nil
    }
    let newline = base.distance(to: UnsafeRawPointer(found))
    let end = newline > 0 && bytes[newline - 1] == 0x0D ? newline - 1 : newline
    if end > maximumLineLength { throw .lineTooLong(limit: maximumLineLength) }
    let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
    if wireProtocol == .nats {
      return try natsItem(line: line, in: bytes, afterLine: newline + 1)
    }
    return (lineItem(line), newline + 1)
  }

  /// Task 2 and Task 3: `MSG [topic] sender payload`, all on one line.
  private func lineItem(_ line: UnsafeRawBufferPointer) -> Incoming {
    guard Self.hasPrefix(line, "MSG ") else { return controlItem(line) }
    // Fields are found with `memchr`, not split into an array: this runs for every delivery
    // and must not allocate.
    guard let firstSpace = Self.index(of: 0x20, in: line, from: 4), firstSpace > 4 else {
      return .malformedDelivery(Self.text(line))
    }
    guard wireProtocol == .task3 else {
      return .delivery(
        Delivery(topic: nil, sender: 4..<firstSpace, payload: firstSpace + 1..<line.count))
    }
    guard let secondSpace = Self.index(of: 0x20, in: line, from: firstSpace + 1),
      secondSpace > firstSpace + 1
    else {
      return .malformedDelivery(Self.text(line))
    }
    return .delivery(
      Delivery(
        topic: 4..<firstSpace, sender: firstSpace + 1..<secondSpace,
        payload: secondSpace + 1..<line.count))
  }

  /// NATS: `MSG subject sid [reply-to] count`, then `count` bytes and CRLF.
  private func natsItem(
    line: UnsafeRawBufferPointer, in bytes: UnsafeRawBufferPointer, afterLine: Int
  ) throws(StreamError) -> (item: Incoming, consumed: Int)? {
    guard Self.hasPrefix(line, "MSG ") else {
      if Self.hasPrefix(line, "INFO ") || Self.hasPrefix(line, "PONG")
        || Self.hasPrefix(line, "+OK")
      {
        return (.ignored, afterLine)
      }
      return (controlItem(line), afterLine)
    }
    // The subject is the first field and the byte count the last; the sid and an optional
    // reply subject lie between.
    guard let subjectEnd = Self.index(of: 0x20, in: line, from: 4), subjectEnd > 4,
      let countStart = Self.lastIndex(of: 0x20, in: line).map({ $0 + 1 }),
      countStart > subjectEnd + 2,
      let count = Self.decimal(line, countStart..<line.count)
    else {
      throw .badFrame(Self.text(line))
    }
    let payloadEnd = afterLine + count
    guard bytes.count >= payloadEnd + 2 else { return nil }
    guard bytes[payloadEnd] == 0x0D && bytes[payloadEnd + 1] == 0x0A else {
      throw .badFrame(Self.text(line))
    }
    return (
      .delivery(Delivery(topic: 4..<subjectEnd, sender: nil, payload: afterLine..<payloadEnd)),
      payloadEnd + 2
    )
  }

  /// A line that is not a delivery.
  private func controlItem(_ line: UnsafeRawBufferPointer) -> Incoming {
    if line.count == 4 && Self.hasPrefix(line, "PING") { return .ping }
    if Self.hasPrefix(line, "-ERR") { return .serverError(Self.text(line)) }
    return .unexpected(Self.text(line))
  }

  private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
    line.count >= prefix.utf8CodeUnitCount
      && memcmp(line.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
  }

  private static func index(of byte: UInt8, in line: UnsafeRawBufferPointer, from start: Int)
    -> Int?
  {
    guard start < line.count,
      let found = memchr(line.baseAddress! + start, Int32(byte), line.count - start)
    else { return nil }
    return line.baseAddress!.distance(to: UnsafeRawPointer(found))
  }

  private static func lastIndex(of byte: UInt8, in line: UnsafeRawBufferPointer) -> Int? {
    // glibc's `memrchr` is not exported to Swift; the count field is short, so scan back.
    var index = line.count - 1
    while index >= 0 && line[index] != byte { index -= 1 }
    return index >= 0 ? index : nil
  }

  private static func decimal(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
    guard (1...9).contains(range.count) else { return nil }
    var value = 0
    for index in range {
      guard (0x30...0x39).contains(line[index]) else { return nil }
      value = value * 10 + Int(line[index] - 0x30)
    }
    return value
  }

  private static func text(_ line: UnsafeRawBufferPointer) -> String {
    String(decoding: line.prefix(200), as: UTF8.self)
  }
}
