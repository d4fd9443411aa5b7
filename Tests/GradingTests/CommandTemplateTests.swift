import Grading
import Testing

@Suite("Command templates")
struct CommandTemplateTests {
  @Test("placeholders are replaced and the contract's arguments appended, quoted")
  func substitution() throws {
    let commands = try TaskCommands(
      server: "python3 server.py {port}", client: "python3 client.py --to {host}:{port}")
    #expect(commands.serverCommand(port: 23456) == "python3 server.py 23456")
    #expect(
      commands.clientCommand(host: "127.0.0.1", port: 23456, arguments: ["SUBSCRIBER", "NEWS"])
        == "python3 client.py --to 127.0.0.1:23456 SUBSCRIBER NEWS")
  }

  @Test("a template without placeholders gets the address appended")
  func appendsAddress() throws {
    let commands = try TaskCommands(server: "./server", client: "./client")
    #expect(commands.serverCommand(port: 20001) == "./server 20001")
    #expect(commands.clientCommand(host: "127.0.0.1", port: 20001) == "./client 127.0.0.1 20001")
  }

  @Test("a template with only some of its placeholders, or none at all, is refused")
  func refusesPartialTemplates() {
    #expect(throws: CommandTemplateError.self) {
      try TaskCommands(server: "./server {port}", client: "./client {host} 5000")
    }
    #expect(throws: CommandTemplateError.empty(role: "server")) {
      try TaskCommands(server: "  ", client: "./client")
    }
  }

  @Test(
    "quoting gives the shell back exactly the word",
    arguments: ["NEWS,SPORTS", "two words", "it's", "$HOME", "a\"b", "", "back\\slash", "*"])
  func quotingRoundTrips(word: String) throws {
    let process = try TerminalProcess(
      command: "printf '[%s]\\n' \(ShellQuoting.quote(word))", label: "printf")
    #expect(process.waitForExit(before: Deadline(after: .seconds(10))) == 0)
    #expect(process.output == "[\(word)]\n")
  }

  @Test("this project's commands quote the products directory")
  func projectCommands() {
    let commands = TaskCommands.project(task: 2, productsDirectory: "/tmp/my build")
    #expect(commands.serverCommand(port: 20002) == "'/tmp/my build/task2-server' 20002")
    #expect(
      commands.clientCommand(host: "127.0.0.1", port: 20002, arguments: ["PUBLISHER"])
        == "'/tmp/my build/task2-client' 127.0.0.1 20002 PUBLISHER")
  }
}
