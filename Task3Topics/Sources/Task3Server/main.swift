// task3-server: the topic broker.
// Parses the arguments, binds the port(s) and hands over to `BrokerServer` (and, with
// --http, to a `LiveView` serving the broker's state to a browser).

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
let listener = program.listen(on: options.port)

// The live view's feed observes the display; without --http nothing observes it.
let activity = ActivityFeed(showsMessages: options.liveView?.showsMessages ?? false)
let log = ActivityLog(observer: options.liveView == nil ? nil : activity.observer)
let server = BrokerServer(listener: listener, log: log, configuration: options.configuration)
Console.standardOutput.writeLine(
  "task3-server listening on port \(listener.localPort) (all interfaces); Ctrl-C stops it")
let liveView = options.liveView.map {
  LiveView.startOrExit(
    program: program, options: $0, broker: server.broker, activity: activity,
    brokerPort: listener.localPort)
}
ShutdownSignals.install { _ in
  let count = server.broker.clients.count
  log.post("shutting down: telling \(count) client\(count == 1 ? "" : "s")")
  liveView?.stop()
  server.stop()
}
server.run()
