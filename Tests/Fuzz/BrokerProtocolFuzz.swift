// Fuzz target for Task 3: the broker's parsers and its topic router.
//
// Byte 0 picks what is fuzzed; the rest is its input:
// - 0: `BrokerHello(parsing:)`, the hello line;
// - 1: `Command(parsing:)`, a line after the hello;
// - 2: `Topic.validateName` and `Topic.validateFilter`, against a reference written from the
//   protocol's rules;
// - 3: `TopicRouter`, a script of subscribe, unsubscribe and match operations checked
//   against a brute-force model (every subscription compared with every topic).
// Every parsed value must re-encode to a line that parses back to it, verbs and roles are
// ASCII words, and no error message carries a terminal control character (messages are
// sent back after `-ERR` and shown on the server's display). Build and run with
// scripts/fuzz.sh.

import Task1Echo
import Task2Roles
import Task3Topics

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBrokerProtocol(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  var input = FuzzInput(fuzzBytes(data, size))
  switch input.choose(below: 4) {
  case 0: checkHello(Array(input.remaining))
  case 1: checkCommand(Array(input.remaining))
  case 2: checkTopic(Array(input.remaining))
  default: checkRouter(&input)
  }
  return 0
}

// MARK: - Hello

private func checkHello(_ line: [UInt8]) {
  let hello: BrokerHello
  do {
    hello = try BrokerHello(parsing: line)
  } catch {
    checkMessage(error)
    return
  }
  let words = asciiWords(line)
  require(
    words.count >= 2 && equalsIgnoringASCIICase(words[0], "HELLO")
      && equalsIgnoringASCIICase(words[1], hello.role.rawValue),
    "'\(String(lineBytes: line))' accepted as a hello from a \(hello.role)")
  if let name = hello.name {
    require(BrokerHello.isValidName(name), "invalid name '\(name)' accepted")
  }
  require(hello.token?.contains(" ") != true, "a token with a space")
  let again = try? BrokerHello(parsing: Array(hello.line.utf8))
  require(again == hello, "'\(hello.line)' does not parse back to \(hello)")
}

// MARK: - Commands

private func checkCommand(_ line: [UInt8]) {
  let command: Command
  do {
    command = try Command(parsing: line[...])
  } catch {
    checkMessage(error)
    return
  }
  let verb = asciiWords(line).first ?? []
  switch command {
  case .publish(let topic, let text):
    require(equalsIgnoringASCIICase(line.prefix(4), "PUB "), "publish without 'PUB '")
    require(!topic.isEmpty && !topic.contains(0x20), "publish to a topic with a space")
    require(
      Array(line.dropFirst(4)) == Array(topic) + [0x20] + Array(text),
      "topic and text do not spell out the line")
  case .subscribe(let filter), .unsubscribe(let filter):
    require(!filter.isEmpty && !filter.contains(" "), "filter '\(filter)' has a space")
  case .direct(let name, let text):
    require(!name.isEmpty && !name.contains(" "), "DM name '\(name)' has a space")
    require(!text.isEmpty && !text.hasPrefix(" "), "DM text '\(text)' is empty or padded")
  default:
    break
  }
  require(
    equalsIgnoringASCIICase(verb, verbWord(command))
      || (command == .quit && equalsIgnoringASCIICase(verb, "TERMINATE")),
    "'\(String(lineBytes: line))' accepted as \(command)")
  let canonical = canonicalLine(command)
  require(
    (try? Command(parsing: canonical[...])) == command,
    "'\(String(lineBytes: canonical))' does not parse back to \(command)")
}

/// The verb of `command`, as the protocol spells it.
private func verbWord(_ command: Command) -> String {
  switch command {
  case .publish: "PUB"
  case .subscribe: "SUB"
  case .unsubscribe: "UNSUB"
  case .direct: "DM"
  case .say: "SAY"
  case .topics: "TOPICS"
  case .who: "WHO"
  case .stats: "STATS"
  case .help: "HELP"
  case .ping: "PING"
  case .pong: "PONG"
  case .quit: "QUIT"
  }
}

/// The line a well-behaved client would send for `command`.
private func canonicalLine(_ command: Command) -> [UInt8] {
  let verb = Array(verbWord(command).utf8)
  switch command {
  case .publish(let topic, let text): return verb + [0x20] + topic + [0x20] + text
  case .subscribe(let filter), .unsubscribe(let filter): return verb + [0x20] + filter.utf8
  case .direct(let name, let text): return verb + [0x20] + name.utf8 + [0x20] + text.utf8
  case .say(let text): return verb + [0x20] + text.utf8
  default: return verb
  }
}

/// Error messages go back to the client after `-ERR` and onto the server's display: a
/// control character in one would reach a terminal.
private func checkMessage(_ error: ProtocolError) {
  require(
    !containsTerminalControl(error.message),
    "control character in error message '\(error.message.escapingControlCharacters)'")
}

// MARK: - Topic names and filters

private func checkTopic(_ bytes: [UInt8]) {
  let name = Topic.validateName(bytes)
  require(
    (name == nil) == isValidTopic(bytes, allowingWildcards: false),
    "validateName('\(String(lineBytes: bytes).escapingControlCharacters)') = \(name as Any)")
  let text = String(lineBytes: bytes)
  let filter = Topic.validateFilter(text)
  require(
    (filter == nil) == isValidTopic(Array(text.utf8), allowingWildcards: true),
    "validateFilter('\(text.escapingControlCharacters)') = \(filter as Any)")
  for problem in [name, filter] {
    if bytes.isEmpty { require(problem == .empty, "empty topic not reported as empty") }
  }
  if bytes.count > Topic.maximumLength {
    require(name == .tooLong, "a \(bytes.count)-byte name not reported as too long")
  }
}

/// The protocol's rules, checked the plain way: UTF-8 text (the broker routes by the decoded
/// name, so two names must never decode alike), 1 to 256 bytes, dot-separated non-empty
/// tokens without spaces, commas or control characters; in filters only, `*` as a whole
/// token and `>` as the whole last token.
private func isValidTopic(_ bytes: [UInt8], allowingWildcards: Bool) -> Bool {
  guard !bytes.isEmpty, bytes.count <= Topic.maximumLength,
    Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
  else { return false }
  let tokens = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
  for (index, token) in tokens.enumerated() {
    if token.isEmpty { return false }
    if token.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: ",") }) {
      return false
    }
    let isWildcardToken =
      allowingWildcards
      && (token.elementsEqual([UInt8(ascii: "*")])
        || (token.elementsEqual([UInt8(ascii: ">")]) && index == tokens.count - 1))
    if !isWildcardToken
      && token.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: ">") })
    {
      return false
    }
  }
  return true
}

// MARK: - Router

/// Tokens for filters (wildcards included) and topics (the first four). `a` and `ab` check
/// that tokens match whole; `A` that matching is case-sensitive.
private let tokens = ["a", "b", "ab", "A", "*", ">"]

private func checkRouter(_ input: inout FuzzInput) {
  let router = TopicRouter()
  var model: Set<Subscription> = []
  while !input.isAtEnd {
    let operation = input.byte()
    let subscriber = Int(operation >> 2) % 4
    let isTopic = operation % 3 == 2
    let count = 1 + input.choose(below: 4)
    let words = (0..<count).map { _ in tokens[input.choose(below: isTopic ? 4 : tokens.count)] }
    let text = words.joined(separator: ".")
    switch operation % 3 {
    case 0:
      guard Topic.validateFilter(text) == nil else { continue }  // the broker validates first
      let added = model.insert(Subscription(subscriber: subscriber, filter: text)).inserted
      require(router.subscribe(subscriber, to: text) == added, "subscribe \(subscriber) \(text)")
    case 1:
      guard Topic.validateFilter(text) == nil else { continue }
      let removed = model.remove(Subscription(subscriber: subscriber, filter: text)) != nil
      require(
        router.unsubscribe(subscriber, from: text) == removed, "unsubscribe \(subscriber) \(text)")
    default:
      let expected = Set(model.filter { matches($0.filter, topic: text) }.map(\.subscriber))
      let found = router.subscribers(of: text)
      require(found == expected.sorted(), "\(text) routed to \(found), not \(expected.sorted())")
    }
    let counts = Dictionary(grouping: model, by: \.filter).mapValues(\.count)
    require(
      router.subscriptionCounts.map { "\($0.filter):\($0.subscribers)" }
        == counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" },
      "subscription counts differ from the model")
    require(router.filterCount == counts.count, "filterCount differs from the model")
  }
}

private struct Subscription: Hashable {
  let subscriber: Int
  let filter: String
}

/// Whether `filter` matches `topic`, token by token: `*` is any one token, `>` one or more.
private func matches(_ filter: String, topic: String) -> Bool {
  func match(_ filter: ArraySlice<Substring>, _ topic: ArraySlice<Substring>) -> Bool {
    guard let first = filter.first else { return topic.isEmpty }
    if first == ">" { return !topic.isEmpty }
    guard let token = topic.first, first == "*" || first == token else { return false }
    return match(filter.dropFirst(), topic.dropFirst())
  }
  return match(filter.split(separator: ".")[...], topic.split(separator: ".")[...])
}
