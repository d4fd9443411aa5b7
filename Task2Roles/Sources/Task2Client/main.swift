// task2-client: a publisher or subscriber for task2-server.
// Parses the arguments, connects, says hello and hands over to `InteractiveClient`.

import Task1Echo
import Task2Roles

let program = CommandLineProgram(
  name: "task2-client",
  usage: """
    usage: task2-client HOST PORT PUBLISHER|SUBSCRIBER
      A PUBLISHER sends each typed line to every subscriber; a SUBSCRIBER shows what
      publishers send (its own typed lines are shown on the server only) and keeps
      listening after end of input. 'terminate' ends either.
    """)

let arguments = program.arguments()
guard arguments.count == 3 else {
  program.exitWithUsageError(
    arguments.count < 3
      ? "missing \(["HOST", "PORT", "role"][arguments.count])" : "too many arguments")
}
let host = arguments[0]
let port = program.port(from: arguments[1])
guard let role = Role(parsing: arguments[2]) else {
  program.exitWithUsageError("unknown role '\(arguments[2])': expected PUBLISHER or SUBSCRIBER")
}

ignoreBrokenPipeSignal()
let connection: Connection
do {
  connection = try Connection.connect(host: host, port: port)
  try connection.sendAll(Hello.line(for: role) + "\n")
} catch {
  program.exit(failing: "cannot connect to \(host) port \(port): \(error)")
}

Console.standardOutput.writeLine(
  "connected to \(connection.peer) as \(role); type lines to send, 'terminate' to quit")
let display = RoleClientDisplay()
let client = InteractiveClient(
  connection: connection, programName: program.name,
  endOfInput: role == .publisher ? .finish : .keepListening
) { line in display.show(line) }
program.exit(client.run { readLine(strippingNewline: true) }.rawValue)
