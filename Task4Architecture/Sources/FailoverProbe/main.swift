// failover-probe: measures Task 4's failover (see scripts/measure-failover.sh).
// Parses the arguments, runs the trials, prints each trial and the summary.

import Foundation
import Task1Echo

let program = CommandLineProgram(
  name: "failover-probe",
  usage: """
    usage: failover-probe [--trials N] [--messages N] [--mode kill|stop|both]
      Starts a task4-broker pair on free ports (the task4-broker next to this program), streams
      messages from a publisher to a subscriber, fails the primary at the halfway
      acknowledgement (kill -9, or kill -STOP and later -CONT), and reports detection time,
      time to resumed publishing and delivery, and lost, duplicate and out-of-order messages.
    """)
var arguments = program.arguments()
let trials = program.takeOption("--trials", from: &arguments).map { Int($0) ?? 0 } ?? 20
let messages = program.takeOption("--messages", from: &arguments).map { Int($0) ?? 0 } ?? 10_000
let modes: [FailureMode]
switch program.takeOption("--mode", from: &arguments) ?? "both" {
case "kill": modes = [.kill]
case "stop": modes = [.stop]
case "both": modes = FailureMode.allCases
case let other: program.exitWithUsageError("unknown mode '\(other)'")
}
if let extra = arguments.first { program.exitWithUsageError("unexpected argument '\(extra)'") }
guard trials > 0, messages >= 2 else { program.exitWithUsageError("need trials > 0, messages > 1") }

ignoreBrokenPipeSignal()
let products = URL(
  fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    ?? CommandLine.arguments[0]
).deletingLastPathComponent()
let output = Console.standardOutput
var results: [TrialResult] = []
for mode in modes {
  for _ in 1...trials {
    do {
      results.append(try runTrial(mode: mode, messages: messages, products: products))
      output.writeLine(
        Report(results: [results.last!], firstNumber: results.count).trialLines()[0])
    } catch {
      program.exit(failing: "a \(mode.rawValue) trial could not run: \(error)")
    }
  }
}
output.writeLine("")
output.writeLine("trials:")
for line in Report(results: results).trialLines() { output.writeLine(line) }
output.writeLine("")
for line in Report(results: results).summary() { output.writeLine(line) }
program.exit(results.allSatisfy(\.isClean) ? 0 : 1)
