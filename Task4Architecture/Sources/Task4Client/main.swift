// task4-client: a publisher or subscriber that fails over between the brokers of a pair.
// Parses the arguments, starts a `FailoverClient`, and feeds it the typed lines.

import Dispatch
import Task1Echo
import Task2Roles
import Task3Topics
import Task4Architecture

let program = CommandLineProgram(name: "task4-client", usage: FailoverClientOptions.usage)
let options: FailoverClientOptions
do {
  options = try FailoverClientOptions(parsing: program.arguments())
} catch {
  program.exitWithUsageError(error.message)
}

ignoreBrokenPipeSignal()
var configuration = FailoverClient.Configuration(
  addresses: options.addresses, role: options.role, topics: options.topics, name: options.name)
configuration.token = options.token
let output = Console.standardOutput
let formatter = BrokerLineFormatter()
let client = FailoverClient(configuration: configuration) { event in
  switch event {
  case .message(_, let topic, let sender, let text):
    output.writeLine(
      formatter.format("MSG \(topic) \(sender) \(text)", time: ActivityLog.timestamp()).0)
  case .line(let line):
    let (text, destination) = formatter.format(line, time: ActivityLog.timestamp())
    (destination == .output ? output : Console.standardError).writeLine(text)
  case .connected(let broker, let name, let epoch, let after, let expired, let resent, let again):
    var text = "joined \(broker) as \(name) (epoch \(epoch))"
    if resent > 0 { text += "; re-sent \(resent) unacknowledged message\(resent == 1 ? "" : "s")" }
    if let after, again || options.name != nil { text += "; resuming after message \(after)" }
    if expired > 0 { text += "; \(expired) message\(expired == 1 ? "" : "s") expired meanwhile" }
    output.writeLine(text)
  case .lost(let broker, let reason):
    output.writeLine("lost \(broker): \(reason); failing over")
  case .refused(let broker, let reason):
    output.writeLine("\(broker): \(reason)")
  case .acknowledged:
    break
  case .gaveUp(let reason):
    program.exit(failing: "giving up: \(reason)")
  }
}
output.writeLine(
  "connecting to \(options.addresses.map(\.description).joined(separator: ", ")) as "
    + "\(options.role) on \(options.topics.joined(separator: ", ")); /help lists commands, "
    + "'terminate' quits")
client.start()

/// Stops the client, waiting up to 10 s for acknowledgements, and exits.
func finish() -> Never {
  let remaining = client.finish(before: .now + .seconds(10))
  if remaining > 0 {
    program.exit(
      failing: "\(remaining) message\(remaining == 1 ? " was" : "s were") never acknowledged")
  }
  program.exit(ExitStatus.success.rawValue)
}

let translator = TypedLineTranslator(role: options.role, topics: options.topics)
while let line = readLine(strippingNewline: true) {
  if isTerminateCommand(line) { finish() }
  switch translator.translate(line) {
  case .show(let text):
    output.writeLine(text)
  case .send(let lines):
    for protocolLine in lines {
      // A publish gets a sequence number and waits for room in the window; the rest are
      // commands.
      if let command = try? Command(parsing: Array(protocolLine.utf8)[...]),
        case .publish(let topic, let text) = command
      {
        client.publish(String(lineBytes: text), on: String(decoding: topic, as: UTF8.self))
      } else {
        client.send(protocolLine)
      }
    }
  }
}
if options.role == .publisher { finish() }
// A subscriber whose input ended (run with `< /dev/null`) goes on listening until Ctrl-C.
dispatchMain()
