// task3-server: the topic broker.
// Parses the arguments, binds the port and hands over to `BrokerServer`.

import Task1Echo
import Task3Topics

let program = CommandLineProgram(name: "task3-server", usage: ServerOptions.usage)
let options: ServerOptions
do {
  options = try ServerOptions(parsing: program.arguments())
} catch {
  program.exitWithUsageError(error.message)
}

ignoreBrokenPipeSignal()
raiseDescriptorLimit()
let listener: Listener
do {
  listener = try Listener.bind(port: options.port)
} catch let error as SocketError where error.isAddressInUse {
  program.exit(failing: "port \(options.port) is already in use (is another server running?)")
} catch {
  program.exit(failing: "cannot listen on port \(options.port): \(error)")
}

let log = ActivityLog()
let server = BrokerServer(listener: listener, log: log, configuration: options.configuration)
ShutdownSignals.install { _ in
  let count = server.broker.clients.count
  log.post("shutting down: telling \(count) client\(count == 1 ? "" : "s")")
  server.stop()
}
Console.standardOutput.writeLine(
  "task3-server listening on port \(listener.localPort) (all interfaces); Ctrl-C stops it")
server.run()
