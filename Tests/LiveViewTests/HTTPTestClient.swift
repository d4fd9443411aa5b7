import Foundation
import Task1Echo
import TestSupport

/// What a test got instead of the response it expected.
struct UnexpectedResponse: Error, CustomStringConvertible {
  let description: String

  init(_ description: String) { self.description = description }
}

/// A response as a test reads it off the wire.
struct ReceivedResponse {
  /// The whole status line: `HTTP/1.1 200 OK`.
  var statusLine: String
  /// The status code.
  var status: Int
  /// Header fields by lower-case name.
  var fields: [String: String]
  /// The body's bytes.
  var body: [UInt8]

  var text: String { String(decoding: body, as: UTF8.self) }

  /// Parses everything a server sent on a connection it then closed.
  init(parsing bytes: [UInt8]) throws {
    let separator = Array("\r\n\r\n".utf8)
    guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
      throw UnexpectedResponse(
        "no empty line ending the head in: \(String(decoding: bytes, as: UTF8.self))")
    }
    let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    statusLine = lines[0]
    status = Int(lines[0].split(separator: " ")[1]) ?? -1
    fields = [:]
    for line in lines.dropFirst() {
      let parts = line.split(separator: ":", maxSplits: 1)
      fields[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
    }
    body = Array(bytes[(end + separator.count)...])
  }
}

/// Sends `request` as it is to 127.0.0.1:`port` and reads until the server closes, every
/// read with a timeout.
func exchange(_ request: [UInt8], port: UInt16, timeout: Duration = .seconds(10)) throws
  -> ReceivedResponse
{
  let connection = try Connection.connect(host: "127.0.0.1", port: port)
  defer { connection.close() }
  try connection.socket.setReceiveTimeout(timeout)
  try connection.sendAll(request)
  var received: [UInt8] = []
  while let bytes = try connection.receive() { received += bytes }
  return try ReceivedResponse(parsing: received)
}

/// Sends `request` (a string with `\r\n` line ends) and reads the response.
func exchange(_ request: String, port: UInt16) throws -> ReceivedResponse {
  try exchange(Array(request.utf8), port: port)
}

/// `GET path` as a browser on this machine sends it.
func get(_ path: String, port: UInt16) throws -> ReceivedResponse {
  try exchange("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: */*\r\n\r\n", port: port)
}

/// Reads a server-sent event stream: the head, then one `data:` line at a time.
final class EventStreamReader {
  private let socket: LineSocket
  /// The response's status line.
  let statusLine: String
  /// The response's header lines.
  let headLines: [String]

  /// Requests `path` and reads the response head.
  init(path: String, port: UInt16) throws {
    socket = try LineSocket(port: port)
    try socket.connection.sendAll("GET \(path) HTTP/1.1\r\nHost: localhost:\(port)\r\n\r\n")
    statusLine = try socket.readLine() ?? ""
    var lines: [String] = []
    while let line = try socket.readLine(), !line.isEmpty { lines.append(line) }
    headLines = lines
  }

  /// The next event's data.
  func nextData() throws -> String {
    while true {
      guard let line = try socket.readLine() else {
        throw UnexpectedResponse("the stream ended while another event was awaited")
      }
      if line.hasPrefix("data: ") { return String(line.dropFirst(6)) }
    }
  }

  /// Reads events until one contains `text`, within `timeout`.
  @discardableResult
  func nextData(containing text: String, timeout: Duration = .seconds(10)) throws -> String {
    let deadline = ContinuousClock.now + timeout
    var last = ""
    while ContinuousClock.now < deadline {
      last = try nextData()
      if last.contains(text) { return last }
    }
    throw UnexpectedResponse("no event containing '\(text)' in \(timeout); the last: \(last)")
  }

  /// Whether the server ends the stream (end of stream or reset) before `timeout`.
  func endsWithin(_ timeout: Duration) throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      do {
        guard try socket.readLine() != nil else { return true }
      } catch SocketError.disconnected {
        return true
      }
    }
    return false
  }

  func close() { socket.connection.close() }
}
