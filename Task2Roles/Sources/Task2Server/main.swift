// task2-server: a threaded publish/subscribe server.
// Parses the arguments, binds the port and hands over to `RoleServer`.

import Task1Echo
import Task2Roles

let program = CommandLineProgram(
  name: "task2-server",
  usage: """
    usage: task2-server [PORT] [--quiet]
      Serves any number of PUBLISHER and SUBSCRIBER clients on PORT (default 5000, 0 = any
      free port): every line a publisher sends goes to every subscriber. --quiet stops
      showing each message (joins and leaves are still shown). Ctrl-C stops it.
    """)

var arguments = program.arguments()
var configuration = RoleServer.Configuration()
if let flag = arguments.firstIndex(of: "--quiet") {
  configuration.showsMessages = false
  arguments.remove(at: flag)
}
if let unknown = arguments.first(where: { $0.hasPrefix("-") }) {
  program.exitWithUsageError("unknown option '\(unknown)'")
}
if arguments.count > 1 { program.exitWithUsageError("too many arguments") }
let port = arguments.first.map { program.port(from: $0, allowsZero: true) } ?? 5000

ignoreBrokenPipeSignal()
let listener = program.listen(on: port)

let log = ActivityLog()
let server = RoleServer(listener: listener, log: log, configuration: configuration)
ShutdownSignals.install { _ in
  let count = server.clientCount
  log.post("shutting down: telling \(count) client\(count == 1 ? "" : "s")")
  server.stop()
}
Console.standardOutput.writeLine(
  "task2-server listening on port \(listener.localPort) (all interfaces); Ctrl-C stops it")
server.run()
