import BenchmarkKit
import Testing

@Suite("PayloadFormat")
struct PayloadFormatTests {
  static let stamps = [
    PayloadStamp(publisher: 0, sequence: 0, sentAt: 0),
    PayloadStamp(publisher: 7, sequence: 123_456, sentAt: 987_654_321_012),
    PayloadStamp(publisher: 0xFFFF, sequence: 0xFFFF_FFFF, sentAt: .max),
  ]

  @Test("decodes what it encodes, at every size", arguments: [32, 33, 100, 128, 1024, 3840])
  func roundTrip(size: Int) throws {
    let format = PayloadFormat(size: size)
    for stamp in Self.stamps {
      let payload = format.encode(stamp)
      #expect(payload.count == size)
      #expect(try format.decode(payload) == stamp)
    }
  }

  @Test("payloads are printable ASCII without spaces, so any line protocol carries them")
  func printable() {
    let format = PayloadFormat(size: 200)
    for stamp in Self.stamps {
      #expect(format.encode(stamp).allSatisfy { (0x21...0x7E).contains($0) })
    }
  }

  @Test("changing any single byte is detected")
  func everyByteIsChecked() {
    let format = PayloadFormat(size: 128)
    let original = format.encode(PayloadStamp(publisher: 3, sequence: 42, sentAt: 1_000_000))
    for index in original.indices {
      for replacement: UInt8 in [0x30, 0x61, 0x41, 0x7E] where replacement != original[index] {
        var damaged = original
        damaged[index] = replacement
        #expect(throws: PayloadError.self, "byte \(index) changed") {
          try format.decode(damaged)
        }
      }
    }
  }

  @Test("a payload spliced from two messages is detected")
  func splicedPayload() {
    let format = PayloadFormat(size: 128)
    let first = format.encode(PayloadStamp(publisher: 1, sequence: 10, sentAt: 500))
    let second = format.encode(PayloadStamp(publisher: 1, sequence: 11, sentAt: 500))
    for cut in 1..<128 {
      let spliced = Array(first[..<cut] + second[cut...])
      guard spliced != first && spliced != second else { continue }
      #expect(throws: PayloadError.self, "cut at \(cut)") { try format.decode(spliced) }
    }
  }

  @Test("wrong lengths and non-hex headers are reported as such")
  func specificErrors() {
    let format = PayloadFormat(size: 64)
    let payload = format.encode(PayloadStamp(publisher: 2, sequence: 5, sentAt: 77))
    #expect(throws: PayloadError.wrongLength(expected: 64, actual: 63)) {
      try format.decode(Array(payload.dropLast()))
    }
    #expect(throws: PayloadError.wrongLength(expected: 64, actual: 65)) {
      try format.decode(payload + [0x41])
    }
    var notHex = payload
    notHex[5] = 0x47  // "G"
    #expect(throws: PayloadError.invalidHeader) { try format.decode(notHex) }
    var otherSequence = payload
    otherSequence[11] = otherSequence[11] == 0x36 ? 0x37 : 0x36
    #expect(throws: PayloadError.checkMismatch) { try format.decode(otherSequence) }
    var padding = payload
    padding[40] = padding[40] == 0x41 ? 0x42 : 0x41
    #expect(throws: PayloadError.paddingMismatch) { try format.decode(padding) }
  }
}
