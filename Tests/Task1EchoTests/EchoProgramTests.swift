import Foundation
import Task1Echo
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `task1-server` and `task1-client` driven as a user drives them: arguments, standard input,
/// standard output and exit status, over real sockets on free ports.
@Suite("Task 1 programs", .timeLimit(.minutes(1)))
struct EchoProgramTests {
  @Test("a typed line is shown on the server with the client's address and echoed back")
  func showsAndEchoes() throws {
    let server = try TestServer("task1-server")
    let client = try server.startClient("task1-client")
    try client.waitForOutput(containing: "connected to")
    client.type("hello from the client")
    try client.waitForOutput(containing: "echo: hello from the client")
    let shown = try server.program.waitForOutput(containing: "hello from the client")
    #expect(shown.contains("127.0.0.1:"))
    #expect(shown.hasPrefix("["))  // timestamped
    try server.program.waitForOutput(containing: "connected")
  }

  @Test(
    "terminate, in any case and with spaces, ends the client with status 0",
    arguments: ["terminate", "  TERMINATE ", "Terminate"])
  func terminateEndsClient(word: String) throws {
    let server = try TestServer("task1-server")
    let client = try server.startClient("task1-client")
    client.type("before")
    client.type(word)
    client.type("after")
    #expect(try client.waitForExit() == 0)
    #expect(client.output.contains("echo: before"))
    try server.program.waitForOutput(containing: "sent terminate; disconnected")
    #expect(!server.program.output.contains("after"))
  }

  @Test("end of input sends every line first, then exits 0")
  func endOfInput() throws {
    let server = try TestServer("task1-server")
    let client = try server.startClient("task1-client")
    for number in 1...200 { client.type("line \(number)") }
    client.closeInput()
    #expect(try client.waitForExit() == 0)
    try server.program.waitForOutput(containing: "line 200")
    try server.program.waitForOutput(containing: "disconnected")
    #expect(client.output.contains("echo: line 200"))
  }

  @Test("a second client waits and is served when the first leaves")
  func servesOneClientAtATime() throws {
    let server = try TestServer("task1-server")
    let first = try server.startClient("task1-client")
    first.type("first says hi")
    try first.waitForOutput(containing: "echo: first says hi")
    let second = try server.startClient("task1-client")
    second.type("second says hi")
    // Not served yet: its line waits in the kernel until the first client leaves. We wait
    // for the first client's next echo, proving the server is busy with it in the meantime.
    first.type("first again")
    try first.waitForOutput(containing: "echo: first again")
    #expect(!server.program.output.contains("second says hi"))
    first.type("terminate")
    #expect(try first.waitForExit() == 0)
    try server.program.waitForOutput(containing: "second says hi")
    try second.waitForOutput(containing: "echo: second says hi")
    second.type("terminate")
    #expect(try second.waitForExit() == 0)
  }

  @Test("the client reports a server that goes away and exits non-zero")
  func serverGoesAway() throws {
    let server = try TestServer("task1-server")
    let client = try server.startClient("task1-client")
    client.type("ping")
    try client.waitForOutput(containing: "echo: ping")
    server.program.send(signal: SIGKILL)
    #expect(try client.waitForExit() == 1)
    #expect(client.errorOutput.contains("server closed the connection"))
  }

  @Test("Ctrl-C and SIGTERM stop the server cleanly", arguments: [SIGINT, SIGTERM])
  func stopsOnSignal(signal: Int32) throws {
    let server = try TestServer("task1-server")
    let client = try server.startClient("task1-client")
    client.type("still here")
    try server.program.waitForOutput(containing: "still here")
    server.program.send(signal: signal)
    #expect(try server.program.waitForExit() == 0)
    try server.program.waitForOutput(containing: "shutting down")
    #expect(try client.waitForExit() == 1)
  }

  @Test("an over-long line gets an error and a close; the server carries on")
  func overLongLine() throws {
    let server = try TestServer("task1-server")
    let raw = try LineSocket(port: server.port)
    try raw.send(String(repeating: "x", count: 5000))
    let reply = try raw.readLine(containing: "ERROR")
    #expect(reply.contains("longer than 4096 bytes"))
    #expect(try raw.readToEnd().isEmpty)
    let next = try LineSocket(port: server.port)
    try next.send("next one")
    #expect(try next.readLine() == "next one")
  }

  @Test("binary garbage and invalid UTF-8 are shown escaped and echoed byte for byte")
  func garbage() throws {
    let server = try TestServer("task1-server")
    let raw = try LineSocket(port: server.port)
    let garbage: [UInt8] = [0xFF, 0x00, 0x1B, 0x5B, 0x32, 0x4A, 0xC3, 0x0A]
    try raw.send(bytes: garbage)
    guard let bytes = try raw.connection.receive() else {
      Issue.record("no echo")
      return
    }
    #expect(bytes == garbage)
    try server.program.waitForOutput(containing: "\\u{0}\\u{1B}[2J")
    #expect(server.program.isRunning)
  }

  @Test("text without a final newline is still delivered at end of stream")
  func lastLineWithoutNewline() throws {
    let server = try TestServer("task1-server")
    let raw = try LineSocket(port: server.port)
    try raw.send(bytes: Array("no newline".utf8))
    raw.connection.finishSending()
    #expect(try raw.readToEnd() == ["no newline"])
    try server.program.waitForOutput(containing: "no newline")
  }

  @Test("the client connects over IPv6")
  func ipv6() throws {
    let server = try TestServer("task1-server")
    let client = try RunningProgram("task1-client", ["::1", String(server.port)])
    client.type("over six")
    try client.waitForOutput(containing: "echo: over six")
    try server.program.waitForOutput(containing: "[::1]:")
  }
}

@Suite("Task 1 command line", .timeLimit(.minutes(1)))
struct EchoCommandLineTests {
  @Test(
    "bad arguments print usage on stderr and exit 2",
    arguments: [
      ("task1-server", ["notaport"]), ("task1-server", ["70000"]), ("task1-server", ["1", "2"]),
      ("task1-client", ["localhost", "abc"]), ("task1-client", ["localhost", "0"]),
      ("task1-client", ["a", "1", "extra"]),
    ])
  func usageErrors(product: String, arguments: [String]) throws {
    let program = try RunningProgram(product, arguments)
    #expect(try program.waitForExit() == 2)
    #expect(program.errorOutput.contains("usage: \(product)"))
    #expect(
      program.errorOutput.components(separatedBy: "\n").first?.hasPrefix("\(product): ") == true)
  }

  @Test("--help prints usage and exits 0", arguments: ["task1-server", "task1-client"])
  func help(product: String) throws {
    let program = try RunningProgram(product, ["--help"])
    #expect(try program.waitForExit() == 0)
    #expect(program.output.hasPrefix("usage: \(product)"))
  }

  @Test("a port in use is named in the error, exit 1")
  func portInUse() throws {
    let server = try TestServer("task1-server")
    let second = try RunningProgram("task1-server", [String(server.port)])
    #expect(try second.waitForExit() == 1)
    #expect(second.errorOutput.contains("port \(server.port) is already in use"))
  }

  @Test("connection refused and unknown host exit 1 with a message")
  func cannotConnect() throws {
    let freePort = try Listener.bind(host: "127.0.0.1", port: 0).localPort
    let refused = try RunningProgram("task1-client", ["127.0.0.1", String(freePort)])
    #expect(try refused.waitForExit() == 1)
    #expect(refused.errorOutput.contains("Connection refused"))
    let unknown = try RunningProgram("task1-client", ["no-such-host.invalid", "5000"])
    #expect(try unknown.waitForExit() == 1)
    #expect(unknown.errorOutput.contains("cannot resolve host"))
  }
}
