// Fuzz target for Task 1: `LineFramer` and `isTerminateCommand`.
//
// Input layout: byte 0 picks the framer's maximum line length, byte 1 how the rest (the
// stream) is cut into reads and which `append` is used. The framer's every answer is checked
// against a model that holds the whole stream: the lines handed out, each followed by `\n` or
// `\r\n`, must spell out the stream from its start; no line is longer than the limit; the
// framer refuses a line exactly when it is (or has grown) too long; and the remainder at end
// of stream is what is left. Build and run with scripts/fuzz.sh.

import Task1Echo

/// Line lengths that put the limit everywhere: tiny ones make the too-long path common.
private let maximumLineLengths = [1, 2, 3, 7, 64, LineFramer.defaultMaximumLineLength]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineFramer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  var input = FuzzInput(fuzzBytes(data, size))
  let limit = maximumLineLengths[input.choose(below: maximumLineLengths.count)]
  let cuts = input.byte()
  checkFraming(Array(input.remaining), limit: limit, cuts: cuts)
  return 0
}

/// Feeds `stream` in reads whose sizes come from `cuts` and the stream itself, checking
/// every line, refusal and the remainder against the stream.
private func checkFraming(_ stream: [UInt8], limit: Int, cuts: UInt8) {
  var framer = LineFramer(maximumLineLength: limit)
  var fed = 0  // bytes of `stream` given to the framer
  var consumed = 0  // bytes of `stream` accounted for by lines handed out
  var read = 0
  var searched = 0  // bytes of `stream` known to hold no newline after `consumed`
  while fed < stream.count {
    // Reads of 0 to 16 bytes, sizes varying with the data, so a line, a `\r\n` or a
    // multi-byte character is split everywhere.
    let size = Int((stream[fed] ^ cuts) &+ UInt8(truncatingIfNeeded: read)) % 17
    let end = min(stream.count, fed + size)
    if (Int(cuts) + read) & 1 == 0 {
      stream[fed..<end].withUnsafeBytes { framer.append($0) }
    } else {
      framer.append(contentsOf: stream[fed..<end])
    }
    fed = end
    read += 1
    while true {
      let pending = stream[consumed..<fed]
      let newline = stream[max(consumed, searched)..<fed].firstIndex(of: 0x0A)
      if newline == nil { searched = fed }
      let line: ArraySlice<UInt8>?
      do {
        line = try framer.nextLine()
      } catch {
        require(error == .lineTooLong(limit: limit), "wrong error \(error)")
        if let newline {
          let length = newline - consumed - (stream[consumed..<newline].last == 0x0D ? 1 : 0)
          require(length > limit, "refused a complete line of \(length) bytes (limit \(limit))")
        } else {
          require(pending.count > limit + 1, "refused \(pending.count) bytes (limit \(limit))")
        }
        return  // the stream cannot be resynchronised after a refusal
      }
      guard let line else {
        require(newline == nil, "no line returned though a newline is buffered")
        require(
          pending.count <= limit + 1,
          "\(pending.count) bytes buffered without a newline, past limit \(limit)")
        require(framer.bufferedByteCount == pending.count, "bufferedByteCount is wrong")
        break
      }
      guard let newline else {
        require(false, "a line was returned before its newline arrived")
        return
      }
      var expected = stream[consumed..<newline]
      if expected.last == 0x0D { expected = expected.dropLast() }
      require(line.elementsEqual(expected), "line does not match the stream at \(consumed)")
      require(line.count <= limit, "a line of \(line.count) bytes passed limit \(limit)")
      require(!line.contains(0x0A), "a line contains a newline")
      checkTerminateCommand(String(lineBytes: line))
      consumed = newline + 1
    }
  }
  var rest = stream[consumed..<fed]
  if rest.last == 0x0D { rest = rest.dropLast() }
  let remainder = framer.takeRemainder()
  require(
    remainder.map { $0.elementsEqual(rest) } ?? rest.isEmpty,
    "remainder does not match the unfinished line")
  require(framer.bufferedByteCount == 0, "the framer kept bytes after takeRemainder")
}

/// `terminate` is recognised in any letter case and with spaces around it; anything else is
/// not a terminate command.
private func checkTerminateCommand(_ line: String) {
  let isTerminate = isTerminateCommand(line)
  require(
    isTerminateCommand("  \(line) ") == isTerminate, "spaces around '\(line)' change its meaning")
  let flipped = String(
    String.UnicodeScalarView(
      line.unicodeScalars.map { scalar in
        guard scalar.isASCII, scalar.properties.isAlphabetic else { return scalar }
        return Unicode.Scalar(UInt8(scalar.value) ^ 0x20)
      }))
  require(isTerminateCommand(flipped) == isTerminate, "letter case changes '\(line)'")
  if isTerminate {
    require(
      line.lowercased().filter { !$0.isWhitespace } == "terminate",
      "'\(line)' taken for terminate")
  }
}
