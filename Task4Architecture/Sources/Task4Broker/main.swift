// task4-broker: one node of a primary/backup pair.
// Parses the arguments, binds the port and hands over to `ReplicatedBroker`.

import Task1Echo
import Task3Topics
import Task4Architecture

let program = CommandLineProgram(
  name: "task4-broker", usage: FailoverBrokerOptions.usage + "\n" + LiveView.Options.usage)
let options: FailoverBrokerOptions
let viewOptions: LiveView.Options?
do {
  var arguments = program.arguments()
  viewOptions = try LiveView.Options.take(from: &arguments)
  options = try FailoverBrokerOptions(parsing: arguments)
} catch {
  program.exitWithUsageError(error.message)
}

ignoreBrokenPipeSignal()
raiseDescriptorLimit()
let listener = program.listen(on: options.port)

var configuration = ReplicatedBroker.Configuration(
  id: options.name ?? "broker-\(listener.localPort)")
configuration.peer = options.peer
configuration.startsAsPrimary = options.startsAsPrimary
configuration.retention = options.retention
configuration.showsMessages = !options.isQuiet
configuration.brokerLimits.token = options.token

// The live view's feed observes the display; without --http nothing observes it.
let activity = ActivityFeed(showsMessages: viewOptions?.showsMessages ?? false)
let log = ActivityLog(observer: viewOptions == nil ? nil : activity.observer)
let node = ReplicatedBroker(listener: listener, log: log, configuration: configuration)
let liveView = viewOptions.map {
  LiveView.startOrExit(
    program: program, options: $0, broker: node.broker, activity: activity,
    brokerPort: listener.localPort, nodes: { node.liveViewNodes })
}
ShutdownSignals.install { _ in
  log.post("shutting down")
  liveView?.stop()
  node.stop()
}
let peer = options.peer.map { "peer \($0)" } ?? "peer learned from the backup that joins"
Console.standardOutput.writeLine(
  "task4-broker \(configuration.id) listening on port \(listener.localPort) (all interfaces); "
    + "\(peer); starting as \(options.startsAsPrimary ? "primary" : "backup"); Ctrl-C stops it")
node.run()
