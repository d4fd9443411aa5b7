/// Turns what a program wrote to its terminal into plain text the checks can search.
///
/// Submissions colour their output, move the cursor, redraw a prompt with `\r`, or print a
/// backspace; a person at the terminal sees only the words. The checks look for message text
/// the same way, so everything that is not text is removed here: ANSI escape sequences (CSI
/// such as `ESC [ 1 ; 32 m`, OSC such as a window title, and two-byte escapes), carriage
/// returns (a terminal's line ending is `\r\n`), and other control characters except newline
/// and tab.
public enum TerminalText {
  private static let escape: Unicode.Scalar = "\u{1B}"
  private static let bell: Unicode.Scalar = "\u{07}"

  /// Returns `bytes` decoded as UTF-8 (invalid sequences replaced) with everything that is
  /// not text removed.
  public static func plainText(from bytes: some Collection<UInt8>) -> String {
    plainText(from: String(decoding: bytes, as: UTF8.self))
  }

  /// Returns `text` with escape sequences, carriage returns and control characters removed.
  public static func plainText(from text: String) -> String {
    var result = String.UnicodeScalarView()
    var scalars = text.unicodeScalars.makeIterator()
    while let scalar = scalars.next() {
      if scalar == escape {
        skipEscapeSequence(after: &scalars)
      } else if scalar == "\n" || scalar == "\t" || !isControl(scalar) {
        result.append(scalar)
      }
    }
    return String(result)
  }

  /// Consumes the rest of an escape sequence whose `ESC` has just been read. An unfinished
  /// sequence at the end of the text is dropped whole.
  private static func skipEscapeSequence(after scalars: inout String.UnicodeScalarView.Iterator) {
    guard let introducer = scalars.next() else { return }
    switch introducer {
    case "[":
      // CSI: parameter and intermediate bytes (0x20-0x3F), ended by a final byte (0x40-0x7E).
      while let scalar = scalars.next() {
        if (0x40...0x7E).contains(scalar.value) { return }
      }
    case "]", "P", "^", "_":
      // OSC, DCS, PM, APC: a string ended by BEL or by the string terminator `ESC \`.
      while let scalar = scalars.next() {
        if scalar == bell { return }
        if scalar == escape {
          _ = scalars.next()
          return
        }
      }
    case "(", ")", "*", "+", "#", "%":
      // Character-set designation and similar: one more character.
      _ = scalars.next()
    default:
      // A two-character escape such as `ESC 7` (save cursor) or `ESC =`.
      return
    }
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
  }
}
