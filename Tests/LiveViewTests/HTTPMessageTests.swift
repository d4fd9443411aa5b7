import Task3Topics
import Testing

/// Feeds `text` to a fresh parser in chunks of `chunkSize` bytes, asking for the request after
/// each chunk, as the responder does after each read.
private func parse(
  _ text: String, chunkSize: Int = .max, limits: HTTPRequestParser.Limits = .init()
) throws(HTTPRequestError) -> HTTPRequest? {
  var parser = HTTPRequestParser(limits: limits)
  let bytes = Array(text.utf8)
  var start = 0
  while start < bytes.count {
    let end = min(bytes.count, start + chunkSize)
    parser.append(contentsOf: bytes[start..<end])
    start = end
    if let request = try parser.nextRequest() { return request }
  }
  return nil
}

/// The status `text` is refused with, or `nil` if it parses (or is incomplete).
private func refusal(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Int? {
  do {
    _ = try parse(text, limits: limits)
    return nil
  } catch {
    return error.status.code
  }
}

@Suite("HTTP request parser")
struct HTTPRequestParserTests {
  static let browserRequest =
    "GET /api/state?since=4 HTTP/1.1\r\nHost: localhost:8080\r\n"
    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept:  text/event-stream \r\n"
    + "Accept-Encoding: gzip, deflate\r\n\r\n"

  @Test("a browser's request parses the same whatever the chunk size", arguments: 1...40)
  func everyChunkSize(chunkSize: Int) throws {
    let request = try #require(try parse(Self.browserRequest, chunkSize: chunkSize))
    #expect(request.method == "GET")
    #expect(request.target == "/api/state?since=4")
    #expect(request.path == "/api/state")
    #expect(request.version == "HTTP/1.1")
    #expect(request.fields.count == 4)
    #expect(request.value(of: "host") == "localhost:8080")
    #expect(request.value(of: "ACCEPT") == "text/event-stream")  // whitespace trimmed
    #expect(request.value(of: "Cookie") == nil)
  }

  @Test("nothing is returned until the empty line ends the head")
  func waitsForTheEmptyLine() throws {
    var parser = HTTPRequestParser()
    parser.append(contentsOf: Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8))
    #expect(try parser.nextRequest() == nil)
    parser.append(contentsOf: Array("\r".utf8))
    #expect(try parser.nextRequest() == nil)
    parser.append(contentsOf: Array("\n".utf8))
    #expect(try parser.nextRequest()?.path == "/")
  }

  @Test("bare LF line ends, leading empty lines and HTTP/1.0 without Host are accepted")
  func tolerantInput() throws {
    #expect(try parse("GET / HTTP/1.1\nHost: a\n\n")?.value(of: "Host") == "a")
    #expect(try parse("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n")?.path == "/x")
    #expect(try parse("GET / HTTP/1.0\r\n\r\n")?.version == "HTTP/1.0")
  }

  @Test(
    "malformed requests are refused with the right status",
    arguments: [
      ("GET /\r\n\r\n", 400),  // no version
      ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // two spaces
      ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),  // trailing space
      ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // not a method token
      ("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // not a path
      ("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // proxy form
      ("GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", 400),  // control character in the target
      ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
      ("GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
      ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
      ("GET / HTTP/1.1\r\n\r\n", 400),  // HTTP/1.1 needs Host
      ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
      ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),  // space before the colon
      ("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
      ("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 400),
      ("GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n", 400),
      ("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{1}b\r\n\r\n", 400),
    ])
  func malformed(request: String, status: Int) {
    #expect(refusal(request) == status)
  }

  @Test("a request line over the limit gets 414, before its end has even arrived")
  func longRequestLine() throws {
    let long = "GET /" + String(repeating: "a", count: 9000)
    #expect(refusal(long + " HTTP/1.1\r\nHost: a\r\n\r\n") == 414)
    var parser = HTTPRequestParser()
    parser.append(contentsOf: Array(long.utf8))  // no line end yet
    #expect(throws: HTTPRequestError.self) { try parser.nextRequest() }
  }

  @Test("header lines, fields or bytes over the limits get 431")
  func largeHeaders() {
    let start = "GET / HTTP/1.1\r\nHost: a\r\n"
    let longLine = "X-Long: " + String(repeating: "b", count: 9000) + "\r\n"
    #expect(refusal(start + longLine + "\r\n") == 431)
    let manyFields = (0..<64).map { "X-\($0): 1\r\n" }.joined()
    #expect(refusal(start + manyFields + "\r\n") == 431)
    let bigFields = (0..<40).map { "X-\($0): " + String(repeating: "c", count: 500) + "\r\n" }
    #expect(refusal(start + bigFields.joined() + "\r\n") == 431)
    // The same limits, lowered, apply to a parser configured with them.
    var small = HTTPRequestParser.Limits()
    small.maximumFieldCount = 1
    #expect(refusal(start + "\r\n", limits: small) == nil)
    #expect(refusal(start + "X: 1\r\n\r\n", limits: small) == 431)
  }
}

@Suite("HTTP responses")
struct HTTPResponseTests {
  @Test("a response is a status line, fields, length, Connection: close, an empty line, body")
  func serialization() {
    let response = HTTPResponse.text(.notFound, "no such page")
    let expected =
      "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
      + "Content-Length: 13\r\nConnection: close\r\n\r\nno such page\n"
    #expect(String(decoding: response.bytes, as: UTF8.self) == expected)
  }

  @Test("a streamed response's head has no length: the end of the connection ends the body")
  func streamHead() {
    let head = HTTPResponse(status: .ok, fields: [HTTPField("Content-Type", "text/event-stream")])
    let text = String(decoding: head.head(includesLength: false), as: UTF8.self)
    #expect(
      text == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
  }

  @Test(
    "the host name is the Host field without its port",
    arguments: [
      ("localhost:8080", "localhost"), ("127.0.0.1", "127.0.0.1"), ("[::1]:80", "[::1]"),
      ("LocalHost", "localhost"), ("", ""), ("evil.example:80", "evil.example"),
    ])
  func hostNames(field: String, name: String) {
    #expect(HTTPResponder.hostName(in: field) == name)
  }
}
