import Foundation
import Task1Echo
import Task2Roles
import Task3Topics
import TestSupport
import Testing

// Regression tests for what the fuzzers (Tests/Fuzz) and the hostile-input tests found. Each
// names the seed in Tests/Fuzz/corpus that reproduces it under scripts/fuzz.sh.

/// Whether `text` holds a character a terminal would act on instead of showing.
private func hasTerminalControl(_ text: String) -> Bool {
  text.escapingControlCharacters != text
}

@Suite("Fuzzing and hostile-input findings", .timeLimit(.minutes(1)))
struct FindingsTests {
  init() { ignoreBrokenPipeSignal() }

  // MARK: - Control characters in a refused hello (task3-protocol/regression-hello-control-character)

  @Test(
    "a refused hello's error escapes control characters",
    arguments: ["HELLO PUBLISHER name=\u{1B}[2J", "HELLO PUBLISHER \u{1B}]0;owned\u{7}"])
  func helloErrorEscapesControls(line: String) {
    do {
      let hello = try BrokerHello(parsing: Array(line.utf8))
      Issue.record("accepted \(hello)")
    } catch {
      #expect(!hasTerminalControl(error.message), "\(error.message.escapingControlCharacters)")
    }
  }

  @Test("a hello with an escape sequence reaches neither the client nor the display raw")
  func helloEscapeSequenceOnTheServer() throws {
    let server = try TestServer("task3-server")
    let socket = try LineSocket(port: server.port)
    try socket.send("HELLO PUBLISHER name=\u{1B}[2J\u{1B}[31m")
    let ending = readUntilEnd(socket)
    #expect(ending.isClosed && ending.lines.allSatisfy { !hasTerminalControl($0) }, "\(ending)")
    try server.program.waitForOutput(containing: "refused")
    #expect(!server.program.output.contains("\u{1B}"), "the display got a raw ESC")
  }

  // MARK: - Topic names that are not UTF-8 (task3-protocol/regression-topic-invalid-utf8)

  @Test(
    "a topic name that is not UTF-8 is refused",
    arguments: [[0x6E, 0x65, 0x77, 0x73, 0xFF], [0xC3], [0x61, 0x2E, 0xED, 0xA0, 0x80]] as [[UInt8]]
  )
  func topicNameMustBeUTF8(bytes: [UInt8]) {
    #expect(Topic.validateName(bytes) != nil)
  }

  @Test("publishing to a topic that is not UTF-8 is an error and reaches no other topic")
  func invalidTopicDoesNotLeak() throws {
    let server = try TestServer("task3-server")
    // Decoded, "news\u{FF}" and "news\u{FE}" both read "news\u{FFFD}": this subscriber's
    // topic. The broker must not route by a lossy decoding.
    let subscriber = try joinedSocket(
      port: server.port, hello: "HELLO SUBSCRIBER", subscribe: ["news\u{FFFD}"])
    let publisher = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=p")
    try publisher.send(bytes: Array("PUB news".utf8) + [0xFF] + Array(" leaked\n".utf8))
    try publisher.send("PING")
    let reply = try publisher.readLine() ?? ""
    #expect(reply.hasPrefix("-ERR "), "got '\(reply)'")
    try publisher.send("PUB news\u{FFFD} marker")
    #expect(try subscriber.readLine() == "MSG news\u{FFFD} p marker")
  }

  // MARK: - Verbs and roles matched by Unicode case mapping
  // (task2-hello/regression-role-long-s, task3-protocol/regression-verb-long-s,
  // task3-protocol/regression-role-dotless-i)

  @Test(
    "verbs and roles are ASCII: 'ſ' and 'ı' upper-case to S and I but are not letters of them",
    arguments: ["HELLO SUB\u{17F}CRIBER", "HELLO PUBL\u{131}SHER", "HELLO PUBLI\u{17F}HER"])
  func helloRoleIsASCII(line: String) {
    #expect(Hello.parse(Array(line.utf8)) == nil)
    #expect(throws: ProtocolError.self) { try BrokerHello(parsing: Array(line.utf8)) }
  }

  @Test(
    "a verb spelt with non-ASCII letters is unknown", arguments: ["\u{17F}UB news", "QU\u{131}T"])
  func commandVerbIsASCII(line: String) {
    #expect(throws: ProtocolError.self) { try Command(parsing: Array(line.utf8)[...]) }
  }

  // MARK: - Escape sequences from a publisher on a subscriber's terminal

  @Test("task3-client shows a publisher's control characters escaped, not to its terminal")
  func subscriberDisplayEscapesControls() throws {
    let server = try TestServer("task3-server")
    let subscriber = try server.startClient("task3-client", ["SUBSCRIBER", "news"])
    try subscriber.waitForOutput(containing: "subscribed to news")
    let publisher = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=prankster")
    try publisher.send("PUB news \u{1B}[2J\u{1B}]0;owned\u{7}cleared your screen")
    try publisher.send("DM subscriber-1 \u{1B}[31mred")
    try subscriber.waitForOutput(containing: "cleared your screen")
    try subscriber.waitForOutput(containing: "red")
    #expect(!subscriber.output.contains("\u{1B}"), "a raw ESC reached the subscriber's terminal")
    #expect(!subscriber.output.contains("\u{7}"), "a raw BEL reached the subscriber's terminal")
  }

  // MARK: - Connections pinned by a publisher's cached route (found by the churn test)

  @Test("a publisher that falls quiet does not keep departed subscribers' connections open")
  func quietPublisherDoesNotPinConnections() throws {
    let server = try TestServer("task3-server", extraArguments: ["--quiet"])
    let pid = server.program.processIdentifier
    let publisher = try joinedSocket(port: server.port, hello: "HELLO PUBLISHER name=p")
    let before = ProcessFacts.openDescriptorCount(of: pid)
    var subscribers = try (0..<20).map { _ in
      try joinedSocket(port: server.port, hello: "HELLO SUBSCRIBER", subscribe: ["news"])
    }
    try publisher.send("PUB news once")
    for subscriber in subscribers { #expect(try subscriber.readLine() == "MSG news p once") }
    subscribers.removeAll()  // they leave; the publisher says nothing more
    try waitUntil("the server to close the 20 departed connections") {
      ProcessFacts.openDescriptorCount(of: pid) <= before
    }
  }

  // MARK: - A hello sent one byte at a time

  @Test("a hello trickled a byte at a time must still finish within the hello timeout")
  func helloTimeoutIsADeadline() throws {
    let broker = try InProcessBroker { $0.helloTimeout = .seconds(1) }
    defer { broker.stop() }
    // Each read waits 0.3 s for an answer: that paces the bytes, each well inside the
    // timeout, so only a deadline for the whole hello (not one per read) stops this client.
    let socket = try LineSocket(port: broker.port, timeout: .milliseconds(300))
    let started = ContinuousClock.now
    var answer: String?
    for byte in "HELLO SUBSCRIBER\n".utf8 where answer == nil {
      socket.sendIgnoringClosure([byte])
      do {
        answer = try socket.readLine() ?? "closed"
      } catch SocketError.timedOut {
        continue
      } catch {
        answer = "closed: \(error)"
      }
    }
    let elapsed = ContinuousClock.now - started
    #expect(
      answer?.hasPrefix("-ERR no HELLO") == true, "after \(elapsed): \(answer ?? "no answer")")
    #expect(elapsed < .seconds(2), "the hello took \(elapsed); the timeout is 1 s")
  }
}

@Suite("TestSupport findings")
struct TestSupportFindingsTests {
  @Test("ProcessFacts reads the thread count and resident memory (tab-separated in /proc)")
  func processFactsReadsStatusFields() {
    // `/proc/self/status` says e.g. "Threads:\t4" and "VmRSS:\t   10240 kB".
    let pid = getpid()
    #expect(ProcessFacts.threadCount(of: pid) >= 1)
    #expect(ProcessFacts.residentKilobytes(of: pid) > 0)
  }
}
