import Task1Echo
import Testing

/// Feeds `stream` to a framer in chunks of `chunkSize` bytes and collects the lines.
private func frame(_ stream: [UInt8], chunkSize: Int, maximumLineLength: Int = 4096) throws
  -> [[UInt8]]
{
  var framer = LineFramer(maximumLineLength: maximumLineLength)
  var lines: [[UInt8]] = []
  var offset = 0
  while offset < stream.count {
    let end = min(offset + chunkSize, stream.count)
    framer.append(contentsOf: stream[offset..<end])
    while let line = try framer.nextLine() { lines.append(Array(line)) }
    offset = end
  }
  if let rest = framer.takeRemainder() { lines.append(Array(rest)) }
  return lines
}

/// A stream with everything a framer must get right: LF and CRLF endings, an empty line,
/// multi-byte UTF-8 (split at every offset by the chunk sizes), invalid UTF-8, a NUL byte, a
/// lone CR inside a line and a last line without a newline.
private let mixedStream: [UInt8] =
  Array("hello\nwörld ✓ 🎉\r\n\nline with \r inside\n".utf8) + [0xFF, 0xFE, 0x00, 0x41, 0x0A]
  + Array("no newline at end".utf8)

private let mixedLines: [[UInt8]] = [
  Array("hello".utf8), Array("wörld ✓ 🎉".utf8), [], Array("line with \r inside".utf8),
  [0xFF, 0xFE, 0x00, 0x41], Array("no newline at end".utf8),
]

@Suite("LineFramer")
struct LineFramerTests {
  @Test("frames the same lines at every chunk size", arguments: 1...mixedStream.count)
  func framesAtEveryChunkSize(chunkSize: Int) throws {
    #expect(try frame(mixedStream, chunkSize: chunkSize) == mixedLines)
  }

  @Test("returns nothing until a newline arrives")
  func waitsForNewline() throws {
    var framer = LineFramer()
    framer.append(contentsOf: Array("partial".utf8))
    #expect(try framer.nextLine() == nil)
    #expect(framer.bufferedByteCount == 7)
    framer.append(contentsOf: Array(" line\n".utf8))
    #expect(try framer.nextLine().map(Array.init) == Array("partial line".utf8))
    #expect(try framer.nextLine() == nil)
  }

  @Test("decodes a UTF-8 character split across two reads once the line is complete")
  func splitUTF8() throws {
    let bytes = Array("é\n".utf8)  // 0xC3 0xA9 0x0A
    var framer = LineFramer()
    framer.append(contentsOf: bytes[0..<1])
    #expect(try framer.nextLine() == nil)
    framer.append(contentsOf: bytes[1...])
    let line = try #require(try framer.nextLine())
    #expect(String(lineBytes: line) == "é")
  }

  @Test("accepts a line of exactly the maximum length, with either ending", arguments: 1...12)
  func acceptsMaximumLength(chunkSize: Int) throws {
    let line = [UInt8](repeating: 0x61, count: 8)
    #expect(try frame(line + [0x0D, 0x0A], chunkSize: chunkSize, maximumLineLength: 8) == [line])
    #expect(try frame(line + [0x0A], chunkSize: chunkSize, maximumLineLength: 8) == [line])
  }

  @Test("refuses a complete line one byte over the maximum", arguments: 1...12)
  func refusesCompleteLongLine(chunkSize: Int) {
    let stream = [UInt8](repeating: 0x61, count: 9) + [0x0A]
    #expect(throws: FramingError.lineTooLong(limit: 8)) {
      try frame(stream, chunkSize: chunkSize, maximumLineLength: 8)
    }
  }

  @Test("refuses an endless line before it ends, so memory stays bounded")
  func refusesUnfinishedLongLine() throws {
    var framer = LineFramer(maximumLineLength: 16)
    var refused = false
    for _ in 0..<100 {
      framer.append(contentsOf: [UInt8](repeating: 0x62, count: 4))
      do {
        _ = try framer.nextLine()
      } catch {
        #expect(error == .lineTooLong(limit: 16))
        refused = true
        break
      }
    }
    #expect(refused)
    #expect(framer.bufferedByteCount <= 16 + 4 + 1)
  }

  @Test("hands out many lines from one read")
  func manyLinesInOneRead() throws {
    let stream = Array((0..<1000).map { "line \($0)\n" }.joined().utf8)
    let lines = try frame(stream, chunkSize: stream.count)
    #expect(lines.count == 1000)
    #expect(lines.last == Array("line 999".utf8))
  }

  @Test("escapes control characters for display")
  func escapesControlCharacters() {
    #expect("red\u{1B}[31m".escapingControlCharacters == "red\\u{1B}[31m")
    #expect("tab\tok".escapingControlCharacters == "tab\tok")
    #expect("nul\u{0}".escapingControlCharacters == "nul\\u{0}")
  }

  @Test("recognises terminate in any case with surrounding spaces")
  func terminateCommand() {
    #expect(isTerminateCommand("terminate"))
    #expect(isTerminateCommand("  TeRmInAtE  "))
    #expect(!isTerminateCommand("terminated"))
    #expect(!isTerminateCommand("please terminate"))
  }
}
