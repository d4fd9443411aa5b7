import Foundation

/// A server executable started on a free port, as tests use it: never port 5000, so tests
/// can run while a student's own server is up, and in parallel with each other.
public final class TestServer: @unchecked Sendable {
  /// The running server process.
  public let program: RunningProgram
  /// The port it reported listening on.
  public let port: UInt16

  /// Starts `product` with port 0 (plus `extraArguments`) and waits for it to report the port
  /// the kernel chose.
  public init(_ product: String, extraArguments: [String] = []) throws {
    program = try RunningProgram(product, ["0"] + extraArguments)
    let line = try program.waitForOutput(containing: "listening on port ")
    let digits = line.components(separatedBy: "listening on port ")[1].prefix { $0.isNumber }
    guard let port = UInt16(digits) else {
      throw WaitTimedOut(expectation: "a port number", seen: line)
    }
    self.port = port
  }

  /// Waits for the server to announce its live view (`live view on http://HOST:PORT/`, when
  /// started with `--http 0`) and returns that line and the view's port.
  public func waitForLiveView() throws -> (announcement: String, port: UInt16) {
    let line = try program.waitForOutput(containing: "live view on http://")
    let digits = line.components(separatedBy: "live view on http://")[1]
      .drop { $0 != ":" }.dropFirst().prefix { $0.isNumber }
    guard let port = UInt16(digits) else {
      throw WaitTimedOut(expectation: "a live view port", seen: line)
    }
    return (line, port)
  }

  /// Starts a client product connected to this server on 127.0.0.1.
  public func startClient(_ product: String, _ arguments: [String] = []) throws -> RunningProgram {
    try RunningProgram(product, ["127.0.0.1", String(port)] + arguments)
  }
}
