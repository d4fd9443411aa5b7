// Helpers shared by the fuzz targets in Tests/Fuzz. scripts/fuzz.sh compiles this file into
// each target; it is not part of the SwiftPM package.

/// Stops the run when a property does not hold.
///
/// libFuzzer treats the trap as a crash: it prints `message`, saves the input that caused it
/// as a `crash-…` file and exits non-zero, which is how a fuzz target reports a broken
/// property rather than only a crash.
func require(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
  file: StaticString = #file, line: UInt = #line
) {
  if !condition() { fatalError("property violated: \(message())", file: file, line: line) }
}

/// Reads a fuzz input from the front, one decision at a time. Past the end it returns zeros,
/// so a short input is still a complete (if dull) test case.
struct FuzzInput {
  private let bytes: [UInt8]
  private var position = 0

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// Whether every byte has been read.
  var isAtEnd: Bool { position >= bytes.count }

  /// The bytes not yet read.
  var remaining: ArraySlice<UInt8> { bytes[min(position, bytes.count)...] }

  /// The next byte, or 0 past the end.
  mutating func byte() -> UInt8 {
    defer { position += 1 }
    return position < bytes.count ? bytes[position] : 0
  }

  /// A number in `0..<count`, from the next byte.
  mutating func choose(below count: Int) -> Int {
    Int(byte()) % count
  }
}

/// The fuzz input as an array.
func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
  guard let data, size > 0 else { return [] }
  return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Whether `text` holds a character that a terminal acts on rather than shows: C0 controls
/// other than tab, DEL and the C1 range. Text the server echoes back or shows on its display
/// must not, or a client could move the cursor, clear or recolour someone's terminal.
func containsTerminalControl(_ text: String) -> Bool {
  text.unicodeScalars.contains { scalar in
    (scalar.value < 0x20 && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
  }
}

/// Whether `bytes` equal `word` (upper-case ASCII) in any ASCII letter case. Protocol verbs
/// are ASCII: a byte outside ASCII never matches, whatever Unicode case mapping might say.
func equalsIgnoringASCIICase(_ bytes: some Collection<UInt8>, _ word: String) -> Bool {
  bytes.count == word.utf8.count
    && zip(bytes, word.utf8).allSatisfy { byte, letter in
      byte == letter || (letter >= 0x41 && letter <= 0x5A && byte == letter | 0x20)
    }
}

/// The space-separated words of `bytes`, as byte slices, empty words dropped.
func asciiWords(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
  Array(bytes).split(separator: 0x20, omittingEmptySubsequences: true).map(Array.init)
}
