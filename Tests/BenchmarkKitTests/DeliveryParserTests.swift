import BenchmarkKit
import Testing

/// Parses every complete item in `stream`, as a reader does, and returns the items with the
/// delivery fields copied out, plus the bytes left over.
private func parseAll(_ stream: [UInt8], _ wireProtocol: WireProtocol) throws -> (
  items: [ParsedItem], leftover: Int
) {
  let parser = DeliveryParser(wireProtocol: wireProtocol)
  return try stream.withUnsafeBytes { bytes in
    var items: [ParsedItem] = []
    var offset = 0
    while let (item, consumed) = try parser.next(
      in: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
    {
      let rest = Array(bytes[offset...])
      items.append(ParsedItem(item, in: rest))
      offset += consumed
    }
    return (items, stream.count - offset)
  }
}

/// An `Incoming` with the delivery's fields as text, for comparing.
private enum ParsedItem: Equatable {
  case delivery(topic: String?, sender: String?, payload: String)
  case other(Incoming)

  init(_ item: Incoming, in bytes: [UInt8]) {
    guard case .delivery(let delivery) = item else {
      self = .other(item)
      return
    }
    func text(_ range: Range<Int>?) -> String? {
      range.map { String(decoding: bytes[$0], as: UTF8.self) }
    }
    self = .delivery(
      topic: text(delivery.topic), sender: text(delivery.sender), payload: text(delivery.payload)!)
  }
}

@Suite("DeliveryParser")
struct DeliveryParserTests {
  @Test("Task 3 deliveries carry topic, sender and a payload that may contain spaces")
  func task3() throws {
    let stream = Array("MSG news.uk publisher-1 hello world\r\nPING\nMSG a b c\n".utf8)
    let (items, leftover) = try parseAll(stream, .task3)
    #expect(
      items == [
        .delivery(topic: "news.uk", sender: "publisher-1", payload: "hello world"), .other(.ping),
        .delivery(topic: "a", sender: "b", payload: "c"),
      ])
    #expect(leftover == 0)
  }

  @Test("Task 2 deliveries carry a sender and a payload")
  func task2() throws {
    let (items, _) = try parseAll(Array("MSG publisher-3 some text\n".utf8), .task2)
    #expect(items == [.delivery(topic: nil, sender: "publisher-3", payload: "some text")])
  }

  @Test("NATS deliveries are framed by their byte count, with or without a reply subject")
  func nats() throws {
    let stream = Array(
      ("INFO {\"server_id\":\"x\"}\r\nMSG bench.t0 1 5\r\nab\r\nc\r\nPING\r\n"
        + "MSG s 9 reply.to 2\r\nhi\r\n").utf8)
    let (items, leftover) = try parseAll(stream, .nats)
    #expect(
      items == [
        .other(.ignored), .delivery(topic: "bench.t0", sender: nil, payload: "ab\r\nc"),
        .other(.ping), .delivery(topic: "s", sender: nil, payload: "hi"),
      ])
    #expect(leftover == 0)
  }

  @Test(
    "an item cut anywhere is left for the next read, then parsed whole",
    arguments: WireProtocol.allCases)
  func partialItems(wireProtocol: WireProtocol) throws {
    let text =
      wireProtocol == .nats
      ? "MSG topic 1 11\r\npayload-abc\r\n"
      : wireProtocol == .task3 ? "MSG topic sender payload-abc\n" : "MSG sender payload-abc\n"
    let stream = Array(text.utf8)
    for cut in 0..<stream.count {
      let (items, leftover) = try parseAll(Array(stream[..<cut]), wireProtocol)
      #expect(items.isEmpty, "cut at \(cut)")
      #expect(leftover == cut)
    }
    let (items, _) = try parseAll(stream, wireProtocol)
    guard case .delivery(_, _, let payload) = items.first else {
      Issue.record("no delivery in \(items)")
      return
    }
    #expect(payload == "payload-abc")
  }

  @Test("errors, malformed deliveries and unexpected lines are told apart")
  func controlLines() throws {
    let stream = Array("-ERR slow consumer: too far behind\nMSG onlytopic\n+OK HELLO x\n".utf8)
    let (items, _) = try parseAll(stream, .task3)
    #expect(
      items == [
        .other(.serverError("-ERR slow consumer: too far behind")),
        .other(.malformedDelivery("MSG onlytopic")), .other(.unexpected("+OK HELLO x")),
      ])
  }

  @Test("a NATS frame whose byte count lies cannot be resynchronised, so it throws")
  func natsBadFrame() {
    #expect(throws: StreamError.self) { try parseAll(Array("MSG s 1 2\r\nabc\r\n".utf8), .nats) }
    #expect(throws: StreamError.self) { try parseAll(Array("MSG s 1 x\r\n".utf8), .nats) }
  }

  @Test("a line longer than the limit throws instead of buffering without end")
  func lineTooLong() {
    let long = [UInt8](repeating: 0x41, count: 5000)
    #expect(throws: StreamError.lineTooLong(limit: 4096)) { try parseAll(long, .task3) }
    #expect(throws: StreamError.lineTooLong(limit: 4096)) { try parseAll(long + [0x0A], .task2) }
  }
}
