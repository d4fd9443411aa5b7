// task4-broker: one node of a primary/backup pair.
// Parses the arguments, binds the port and hands over to `ReplicatedBroker`.

import Task1Echo
import Task3Topics
import Task4Architecture

let program = CommandLineProgram(name: "task4-broker", usage: FailoverBrokerOptions.usage)
let options: FailoverBrokerOptions
do {
  options = try FailoverBrokerOptions(parsing: program.arguments())
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

let log = ActivityLog()
let node = ReplicatedBroker(listener: listener, log: log, configuration: configuration)
ShutdownSignals.install { _ in
  log.post("shutting down")
  node.stop()
}
let peer = options.peer.map { "peer \($0)" } ?? "peer learned from the backup that joins"
Console.standardOutput.writeLine(
  "task4-broker \(configuration.id) listening on port \(listener.localPort) (all interfaces); "
    + "\(peer); starting as \(options.startsAsPrimary ? "primary" : "backup"); Ctrl-C stops it")
node.run()
