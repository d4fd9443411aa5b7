#if canImport(Glibc)
  import Glibc
#endif

/// What a benchmark message says about itself: who sent it, its place in that sender's
/// sequence and when it was sent.
///
/// A broker only moves opaque bytes, so everything the benchmark needs to judge a delivery
/// (was it lost, duplicated, reordered, corrupted, how long did it take) travels inside the
/// payload.
public struct PayloadStamp: Equatable, Sendable {
  /// The publisher's index, 0 ..< 65,536.
  public var publisher: Int
  /// The message's position in its publisher's sequence, 0 ..< 2^32.
  public var sequence: Int
  /// The send time, in nanoseconds of the monotonic clock shared by publisher and subscriber.
  public var sentAt: UInt64

  /// Creates a stamp.
  public init(publisher: Int, sequence: Int, sentAt: UInt64) {
    self.publisher = publisher
    self.sequence = sequence
    self.sentAt = sentAt
  }
}

/// Why a received payload is not one the benchmark sent.
public enum PayloadError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The payload is longer or shorter than every payload sent.
  case wrongLength(expected: Int, actual: Int)
  /// A header field holds something other than lowercase hex digits.
  case invalidHeader
  /// The header's check digits do not match its fields: a field was altered.
  case checkMismatch
  /// The padding after the header is not the pattern the header calls for.
  case paddingMismatch

  public var description: String {
    switch self {
    case .wrongLength(let expected, let actual): "\(actual) bytes instead of \(expected)"
    case .invalidHeader: "header is not hex"
    case .checkMismatch: "header check digits do not match"
    case .paddingMismatch: "padding differs from the pattern"
    }
  }
}

/// Encodes and checks benchmark payloads of one fixed size.
///
/// A payload is printable ASCII with no spaces and no line breaks, so it travels unchanged
/// through every line-based protocol here and can be read by eye in a packet capture:
///
/// ```
/// 0000 0000002a 00000a1b2c3d4e5f 9c41 qrstuvwxyz0123...
/// pub  sequence sent-at (ns)      check padding
/// ```
///
/// (shown with spaces for reading; the fields are adjacent). The 4 check digits mix the three
/// fields, and the padding is a 64-character alphabet started at an offset chosen by the
/// sequence and publisher, so a payload with any byte changed, cut short, or spliced from two
/// messages fails `decode`. Checking costs one `memcmp` and 32 hex digits, cheap enough to run
/// on every one of millions of deliveries.
public struct PayloadFormat: Sendable {
  /// Bytes taken by the publisher, sequence, timestamp and check fields.
  public static let headerSize = 32
  /// The smallest payload: the header alone.
  public static let minimumSize = headerSize
  /// The largest payload: it must fit a 4,096-byte line with the protocol's own words.
  public static let maximumSize = 3_840
  /// The padding alphabet: printable, no space, 64 characters so an offset is 6 bits.
  static let alphabet = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

  /// The size of every payload, in bytes.
  public let size: Int
  /// The alphabet repeated to `size + 64` bytes: the padding for offset `k` is
  /// `pattern[k ..< k + size - headerSize]`, so it is copied and compared without a loop.
  private let pattern: [UInt8]

  /// Creates a format for payloads of exactly `size` bytes.
  ///
  /// - Precondition: `size` is in `minimumSize ... maximumSize`.
  public init(size: Int) {
    precondition(
      (Self.minimumSize...Self.maximumSize).contains(size),
      "payload size must be \(Self.minimumSize) to \(Self.maximumSize) bytes")
    self.size = size
    pattern = (0..<(size + Self.alphabet.count)).map { Self.alphabet[$0 % Self.alphabet.count] }
  }

  /// Writes the payload for `stamp` to `destination`, which must have room for `size` bytes.
  public func write(_ stamp: PayloadStamp, to destination: UnsafeMutableRawPointer) {
    precondition((0..<0x1_0000).contains(stamp.publisher), "publisher index out of range")
    precondition((0..<0x1_0000_0000).contains(stamp.sequence), "sequence out of range")
    Self.writeHex(UInt64(stamp.publisher), digits: 4, to: destination)
    Self.writeHex(UInt64(stamp.sequence), digits: 8, to: destination + 4)
    Self.writeHex(stamp.sentAt, digits: 16, to: destination + 12)
    Self.writeHex(UInt64(Self.check(stamp)), digits: 4, to: destination + 28)
    pattern.withUnsafeBytes { pattern in
      _ = memcpy(
        destination + Self.headerSize, pattern.baseAddress! + paddingOffset(stamp),
        size - Self.headerSize)
    }
  }

  /// Returns the payload for `stamp`.
  public func encode(_ stamp: PayloadStamp) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      write(stamp, to: UnsafeMutableRawPointer(buffer.baseAddress!))
      count = size
    }
  }

  /// Reads the stamp back from a received payload, checking every byte.
  ///
  /// - Throws: `PayloadError` when the bytes are not exactly a payload this format wrote.
  public func decode(_ payload: UnsafeRawBufferPointer) throws(PayloadError) -> PayloadStamp {
    guard payload.count == size else {
      throw .wrongLength(expected: size, actual: payload.count)
    }
    let base = payload.baseAddress!
    guard let publisher = Self.readHex(base, digits: 4),
      let sequence = Self.readHex(base + 4, digits: 8),
      let sentAt = Self.readHex(base + 12, digits: 16),
      let check = Self.readHex(base + 28, digits: 4)
    else { throw .invalidHeader }
    let stamp = PayloadStamp(publisher: Int(publisher), sequence: Int(sequence), sentAt: sentAt)
    guard check == UInt64(Self.check(stamp)) else { throw .checkMismatch }
    let paddingMatches = pattern.withUnsafeBytes { pattern in
      memcmp(
        base + Self.headerSize, pattern.baseAddress! + paddingOffset(stamp),
        size - Self.headerSize) == 0
    }
    guard paddingMatches else { throw .paddingMismatch }
    return stamp
  }

  /// Decodes `payload`.
  public func decode(_ payload: [UInt8]) throws(PayloadError) -> PayloadStamp {
    // A closure cannot forward a typed throw through `withUnsafeBytes`, so carry the result.
    let result = payload.withUnsafeBytes { bytes in
      Result { () throws(PayloadError) in try decode(bytes) }
    }
    return try result.get()
  }

  private func paddingOffset(_ stamp: PayloadStamp) -> Int {
    (stamp.sequence &+ stamp.publisher &* 7) & (Self.alphabet.count - 1)
  }

  /// A 16-bit mix of the three fields (a SplitMix64 finaliser): any change to one field
  /// changes it with probability 1 - 2^-16.
  static func check(_ stamp: PayloadStamp) -> UInt16 {
    var mixed =
      UInt64(stamp.publisher) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(stamp.sequence)
      &* 0xC2B2_AE3D_27D4_EB4F ^ stamp.sentAt
    mixed ^= mixed >> 30
    mixed &*= 0xBF58_476D_1CE4_E5B9
    mixed ^= mixed >> 27
    mixed &*= 0x94D0_49BB_1331_11EB
    mixed ^= mixed >> 31
    return UInt16(truncatingIfNeeded: mixed)
  }

  private static func writeHex(
    _ value: UInt64, digits: Int, to destination: UnsafeMutableRawPointer
  ) {
    var value = value
    for index in stride(from: digits - 1, through: 0, by: -1) {
      let nibble = UInt8(truncatingIfNeeded: value & 0xF)
      destination.storeBytes(
        of: nibble < 10 ? 0x30 + nibble : 0x57 + nibble, toByteOffset: index, as: UInt8.self)
      value >>= 4
    }
  }

  /// Parses `digits` lowercase hex digits; `nil` if any byte is not one.
  private static func readHex(_ source: UnsafeRawPointer, digits: Int) -> UInt64? {
    var value: UInt64 = 0
    for index in 0..<digits {
      let byte = source.load(fromByteOffset: index, as: UInt8.self)
      let nibble: UInt8
      switch byte {
      case 0x30...0x39: nibble = byte &- 0x30
      case 0x61...0x66: nibble = byte &- 0x57
      default: return nil
      }
      value = value << 4 | UInt64(nibble)
    }
    return value
  }
}
