import Grading
import Testing

@Suite("Terminal output as plain text")
struct TerminalTextTests {
  @Test(
    "escape sequences are removed, text is kept",
    arguments: [
      ("\u{1B}[32mgreen\u{1B}[0m words", "green words"),
      ("\u{1B}[1;38;5;208mbold orange\u{1B}[m", "bold orange"),
      ("\u{1B}]0;window title\u{07}after a title", "after a title"),
      ("\u{1B}]2;title\u{1B}\\after a string terminator", "after a string terminator"),
      ("\u{1B}(Bcharset\u{1B}7saved", "charsetsaved"),
      ("\u{1B}[2K\u{1B}[1Gredrawn line", "redrawn line"),
    ])
  func removesEscapes(raw: String, plain: String) {
    #expect(TerminalText.plainText(from: raw) == plain)
  }

  @Test("carriage returns and control characters go; newlines, tabs and Unicode stay")
  func keepsText() {
    let raw = "one\r\ntwo\tcolumns\r\n\u{08}\u{07}📨 (NEWS) élan\r\n"
    #expect(TerminalText.plainText(from: raw) == "one\ntwo\tcolumns\n📨 (NEWS) élan\n")
  }

  @Test("a prompt redrawn with a carriage return does not split the message")
  func redrawnPrompt() {
    let raw = "you> \r\u{1B}[33m<<< first publisher says apples\u{1B}[0m\r\nyou> "
    #expect(TerminalText.plainText(from: raw).contains("<<< first publisher says apples\n"))
  }

  @Test("an unfinished escape sequence at the end is dropped")
  func unfinishedEscape() {
    #expect(TerminalText.plainText(from: "text\u{1B}[38;5") == "text")
    #expect(TerminalText.plainText(from: "text\u{1B}") == "text")
  }

  @Test("invalid UTF-8 is replaced, not fatal")
  func invalidUTF8() {
    let bytes: [UInt8] = Array("ok ".utf8) + [0xFF, 0xC3] + Array(" still ok".utf8)
    #expect(TerminalText.plainText(from: bytes) == "ok \u{FFFD}\u{FFFD} still ok")
  }
}
