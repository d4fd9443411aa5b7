// Fuzz target for Task 2: the hello line, `Hello.parse`.
//
// The whole input is one received line. The parser's answer is compared with a reference
// that works on bytes alone, as the protocol is written: exactly two space-separated words,
// `HELLO` and `PUBLISHER` or `SUBSCRIBER`, in any ASCII letter case. The first byte also
// drives a generated check: the canonical hello, with its letters' case flipped and spaces
// added where the input's bits say, must still parse to its role. Build and run with
// scripts/fuzz.sh.

import Task2Roles

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHello(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let line = fuzzBytes(data, size)
  let parsed = Hello.parse(line)
  require(parsed == referenceRole(line), "'\(String(lineBytes: line))' parsed as \(parsed as Any)")
  checkGeneratedHello(line)
  return 0
}

/// The role `line` announces, by the protocol's letter, or `nil` if it is not a hello.
private func referenceRole(_ line: [UInt8]) -> Role? {
  let words = asciiWords(line)
  guard words.count == 2, equalsIgnoringASCIICase(words[0], "HELLO") else { return nil }
  return Role.allCases.first { equalsIgnoringASCIICase(words[1], $0.rawValue) }
}

/// Builds a valid hello from the input's bits (role, letter case, spacing) and checks it
/// parses to its role.
private func checkGeneratedHello(_ line: [UInt8]) {
  var input = FuzzInput(line)
  let role = Role.allCases[input.choose(below: Role.allCases.count)]
  var generated: [UInt8] = Array(repeating: 0x20, count: input.choose(below: 3))
  for byte in Hello.line(for: role).utf8 {
    if byte == 0x20 {
      generated += Array(repeating: 0x20, count: 1 + input.choose(below: 3))
    } else {
      generated.append(input.byte() & 1 == 1 ? byte | 0x20 : byte)
    }
  }
  generated += Array(repeating: 0x20, count: input.choose(below: 3))
  require(
    Hello.parse(generated) == role, "'\(String(lineBytes: generated))' was not taken for \(role)")
}
