// task1-client: types lines to an echo server and shows the echoes.
// Parses the arguments, connects and hands over to `InteractiveClient`.

import Task1Echo

let program = CommandLineProgram(
  name: "task1-client",
  usage: """
    usage: task1-client [HOST] [PORT]
      Connects to HOST (default localhost; a name, IPv4 or IPv6 address) on PORT (default
      5000). Each line typed is sent and its echo shown; 'terminate' ends the client.
    """)

let arguments = program.arguments()
if arguments.count > 2 { program.exitWithUsageError("too many arguments") }
let host = arguments.count > 0 ? arguments[0] : "localhost"
let port = arguments.count > 1 ? program.port(from: arguments[1]) : 5000

ignoreBrokenPipeSignal()
let connection: Connection
do {
  connection = try Connection.connect(host: host, port: port)
} catch {
  program.exit(failing: "cannot connect to \(host) port \(port): \(error)")
}

let output = Console.standardOutput
output.writeLine("connected to \(connection.peer); type lines to send, 'terminate' to quit")
let client = InteractiveClient(connection: connection, programName: program.name) { line in
  output.writeLine("echo: \(line.escapingControlCharacters)")
}
program.exit(client.run { readLine(strippingNewline: true) }.rawValue)
