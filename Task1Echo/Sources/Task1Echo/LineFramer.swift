#if canImport(Glibc)
  import Glibc
#endif

/// Splits a byte stream into lines.
///
/// TCP is a stream of bytes with no message boundaries, so a line can arrive in pieces (even a
/// multi-byte UTF-8 character can be split between two reads) and one read can hold several
/// lines. The framer buffers bytes until it sees `\n`, drops an optional `\r` before it (so
/// `nc` and Windows `telnet` users are served too) and hands out whole lines. It works on
/// bytes and never decodes text, so invalid UTF-8 or NUL bytes pass through untouched;
/// decoding is the caller's choice.
///
/// It never touches a socket, which is why it can be tested byte by byte.
///
/// ```swift
/// var framer = LineFramer()
/// framer.append(chunk)
/// while let line = try framer.nextLine() { handle(line) }
/// ```
public struct LineFramer: Sendable {
  /// The longest line accepted by default, in bytes, not counting the line ending. The same
  /// limit NATS puts on a control line: long enough for any typed message, short enough that
  /// a client cannot make the server buffer without end.
  public static let defaultMaximumLineLength = 4096

  /// The longest line accepted, in bytes, not counting the line ending.
  public let maximumLineLength: Int

  // Bytes received and not yet handed out start at `start`; bytes before it are consumed
  // lines, dropped at the next `append`. `scanned` bytes from `start` are known to hold no
  // newline, so a line arriving one byte at a time is scanned once, not once per byte.
  private var buffer: [UInt8] = []
  private var start = 0
  private var scanned = 0

  /// Creates a framer that refuses lines longer than `maximumLineLength` bytes.
  public init(maximumLineLength: Int = LineFramer.defaultMaximumLineLength) {
    precondition(maximumLineLength > 0)
    self.maximumLineLength = maximumLineLength
  }

  /// The number of bytes received that are not yet part of a returned line.
  public var bufferedByteCount: Int { buffer.count - start }

  /// Adds bytes as they came off the stream.
  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    dropConsumedBytes()
    buffer.append(contentsOf: bytes)
  }

  /// Adds bytes as they came off the stream.
  public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
    dropConsumedBytes()
    buffer.append(contentsOf: bytes)
  }

  private mutating func dropConsumedBytes() {
    guard start > 0 else { return }
    // What remains is at most one partial line, so this moves few bytes.
    buffer.removeSubrange(0..<start)
    start = 0
  }

  /// Returns the next complete line, without its `\n` or `\r\n`, or `nil` if no complete
  /// line has arrived yet.
  ///
  /// The returned slice shares the framer's storage; use it before the next `append`.
  ///
  /// - Throws: `FramingError.lineTooLong` when a line (complete or still arriving) exceeds
  ///   `maximumLineLength`. The stream cannot be resynchronised after that: close it.
  public mutating func nextLine() throws(FramingError) -> ArraySlice<UInt8>? {
    let searchFrom = start + scanned
    let newline: Int? = buffer.withUnsafeBytes { bytes in
      guard searchFrom < bytes.count, let base = bytes.baseAddress else { return nil }
      guard let found = memchr(base + searchFrom, 0x0A, bytes.count - searchFrom) else {
        return nil
      }
      return base.distance(to: UnsafeRawPointer(found))
    }
    guard let newline else {
      scanned = buffer.count - start
      // One extra byte is allowed for a `\r` whose `\n` has not arrived yet.
      if scanned > maximumLineLength + 1 { throw .lineTooLong(limit: maximumLineLength) }
      return nil
    }
    var end = newline
    if end > start && buffer[end - 1] == 0x0D { end -= 1 }
    let line = buffer[start..<end]
    start = newline + 1
    scanned = 0
    if line.count > maximumLineLength { throw .lineTooLong(limit: maximumLineLength) }
    return line
  }

  /// Returns the bytes of an unfinished last line and empties the framer; call it at end of
  /// stream so that text sent without a final newline (`printf hi | nc ...`) is not lost.
  public mutating func takeRemainder() -> ArraySlice<UInt8>? {
    defer {
      buffer.removeAll(keepingCapacity: true)
      start = 0
      scanned = 0
    }
    var end = buffer.count
    if end > start && buffer[end - 1] == 0x0D { end -= 1 }
    return end > start ? buffer[start..<end] : nil
  }
}

/// A stream that cannot be framed into lines.
public enum FramingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A line exceeded the framer's maximum length.
  case lineTooLong(limit: Int)

  public var description: String {
    switch self {
    case .lineTooLong(let limit): "line longer than \(limit) bytes"
    }
  }
}

extension StringProtocol {
  /// The text with ASCII letters upper-cased and everything else unchanged.
  ///
  /// Protocol words (verbs, roles) are ASCII. `uppercased()` follows Unicode, where `ſ`
  /// becomes `S` and `ı` becomes `I`, so `PUBLıSHER` would pass for `PUBLISHER`; comparing
  /// with this instead accepts exactly the letters a person can type in either case.
  public var asciiUppercased: String {
    String(
      decoding: utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
  }
}

extension String {
  /// Decodes a received line as UTF-8, replacing invalid sequences with U+FFFD instead of
  /// failing: bytes from the network are never trusted to be valid text.
  public init(lineBytes: some Collection<UInt8>) {
    self.init(decoding: lineBytes, as: UTF8.self)
  }

  /// The text with control characters (ESC, NUL, BEL, ...) shown as `\u{1B}`-style escapes,
  /// so that a client cannot move the cursor, clear or recolour the server's terminal.
  public var escapingControlCharacters: String {
    guard unicodeScalars.contains(where: Self.isControl) else { return self }
    var result = ""
    for scalar in unicodeScalars {
      if Self.isControl(scalar) {
        result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
  }
}
