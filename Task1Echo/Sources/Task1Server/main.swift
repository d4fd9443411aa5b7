// task1-server: a single-client TCP echo server.
// Parses the arguments, binds the port and hands over to `EchoServer`.

import Task1Echo

let program = CommandLineProgram(
  name: "task1-server",
  usage: """
    usage: task1-server [PORT]
      Serves one client at a time on PORT (default 5000, 0 = any free port), showing and
      echoing every line it sends. Ctrl-C stops it.
    """)

let arguments = program.arguments()
if arguments.count > 1 { program.exitWithUsageError("too many arguments") }
let port = arguments.first.map { program.port(from: $0, allowsZero: true) } ?? 5000

ignoreBrokenPipeSignal()
let listener = program.listen(on: port)

let log = ActivityLog()
let server = EchoServer(listener: listener, log: log)
ShutdownSignals.install { _ in
  log.post("shutting down")
  server.stop()
}
Console.standardOutput.writeLine(
  "task1-server listening on port \(listener.localPort) (all interfaces); Ctrl-C stops it")
server.run()
