import Task1Echo

/// The HTTP status codes this project's small web server sends, with their reason phrases.
public struct HTTPStatus: Equatable, Sendable, CustomStringConvertible {
  /// The three-digit code.
  public let code: Int
  /// The reason phrase that follows it on the status line.
  public let reason: String

  /// Creates a status.
  public init(code: Int, reason: String) {
    self.code = code
    self.reason = reason
  }

  /// 200: here is what you asked for.
  public static let ok = HTTPStatus(code: 200, reason: "OK")
  /// 400: the request does not follow the syntax of HTTP/1.1.
  public static let badRequest = HTTPStatus(code: 400, reason: "Bad Request")
  /// 404: nothing lives at this path.
  public static let notFound = HTTPStatus(code: 404, reason: "Not Found")
  /// 405: the path exists but the method is not served (sent with `Allow`).
  public static let methodNotAllowed = HTTPStatus(code: 405, reason: "Method Not Allowed")
  /// 408: the request did not arrive in time.
  public static let requestTimeout = HTTPStatus(code: 408, reason: "Request Timeout")
  /// 414: the request line is longer than the server reads.
  public static let uriTooLong = HTTPStatus(code: 414, reason: "URI Too Long")
  /// 421: the request names a host this server does not answer for (DNS rebinding guard).
  public static let misdirectedRequest = HTTPStatus(code: 421, reason: "Misdirected Request")
  /// 431: the header section is larger than the server reads.
  public static let headerFieldsTooLarge = HTTPStatus(
    code: 431, reason: "Request Header Fields Too Large")
  /// 503: too many connections at once; try again later.
  public static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")
  /// 505: not HTTP/1.x.
  public static let httpVersionNotSupported = HTTPStatus(
    code: 505, reason: "HTTP Version Not Supported")

  public var description: String { "\(code) \(reason)" }
}

/// One header field: `Name: value`.
public struct HTTPField: Equatable, Sendable {
  /// The field name as sent; compare it case-insensitively.
  public var name: String
  /// The value, without the whitespace around it.
  public var value: String

  /// Creates a field.
  public init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }
}

/// The head of an HTTP request: its request line and header fields (this server reads no
/// bodies).
public struct HTTPRequest: Equatable, Sendable {
  /// The method, such as `GET`. Methods are case-sensitive: `get` is not `GET`.
  public var method: String
  /// The request target exactly as sent, such as `/api/state?x=1`.
  public var target: String
  /// The target's path, without any query: `/api/state`.
  public var path: String
  /// The protocol version, `HTTP/1.1` or `HTTP/1.0`.
  public var version: String
  /// The header fields in the order received.
  public var fields: [HTTPField]

  /// Creates a request head.
  public init(
    method: String, target: String, version: String = "HTTP/1.1", fields: [HTTPField] = []
  ) {
    self.method = method
    self.target = target
    self.path = String(target.prefix { $0 != "?" })
    self.version = version
    self.fields = fields
  }

  /// The value of the first field called `name` (in any letter case), if any.
  public func value(of name: String) -> String? {
    fields.first { $0.name.lowercased() == name.lowercased() }?.value
  }
}

/// A request refused while it was being read, with the status that says why.
public struct HTTPRequestError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The status to answer with.
  public var status: HTTPStatus
  /// What was wrong, for the response body.
  public var detail: String

  /// Creates an error.
  public init(_ status: HTTPStatus, _ detail: String) {
    self.status = status
    self.detail = detail
  }

  public var description: String { "\(status): \(detail)" }
}

/// Reads the head of an HTTP/1.1 request from a byte stream, as it arrives.
///
/// HTTP/1.1 is a text protocol over TCP, like this workbook's own: a request is a line
/// (`GET /api/state HTTP/1.1`), then header lines (`Host: localhost:8080`), then an empty
/// line. So the parser frames the stream with the same `LineFramer` as the broker, which
/// already buffers partial lines, accepts `\r\n` or `\n`, and refuses a line past its limit.
/// Like the framer it never touches a socket, so it can be fed a byte at a time in tests.
///
/// ```swift
/// var parser = HTTPRequestParser()
/// parser.append(chunk)
/// if let request = try parser.nextRequest() { answer(request) }
/// ```
public struct HTTPRequestParser: Sendable {
  /// How much of a request the parser reads before refusing it, so that a client cannot make
  /// the server buffer without end.
  public struct Limits: Sendable, Equatable {
    /// The longest request line or header line, in bytes (414 or 431 past it).
    public var maximumLineLength = 8192
    /// The largest request head (request line and header lines), in bytes (431 past it).
    public var maximumHeadBytes = 16_384
    /// The most header fields (431 past it).
    public var maximumFieldCount = 64

    /// The defaults: far more than any browser sends.
    public init() {}
  }

  /// The limits in force.
  public let limits: Limits
  private var framer: LineFramer
  /// The request line once read; header fields are added to it as they arrive.
  private var request: HTTPRequest?
  /// Bytes of the head read so far, line endings included.
  private var headBytes = 0
  private var isFinished = false

  /// Creates a parser for one request.
  public init(limits: Limits = .init()) {
    self.limits = limits
    framer = LineFramer(maximumLineLength: limits.maximumLineLength)
  }

  /// Adds bytes as they came off the stream.
  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    framer.append(bytes)
  }

  /// Adds bytes as they came off the stream.
  public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
    framer.append(contentsOf: bytes)
  }

  /// Returns the request once its head is complete, or `nil` if more bytes are needed.
  ///
  /// - Throws: `HTTPRequestError` with the status to answer: 400 for bad syntax (or an
  ///   HTTP/1.1 request without `Host`), 414 for a request line over the limit, 431 for
  ///   header lines over the limits, 505 for a version other than 1.x.
  public mutating func nextRequest() throws(HTTPRequestError) -> HTTPRequest? {
    precondition(!isFinished, "a parser reads one request; make a new one for the next")
    while true {
      let line: ArraySlice<UInt8>
      do {
        guard let next = try framer.nextLine() else { return nil }
        line = next
      } catch {
        throw request == nil
          ? HTTPRequestError(
            .uriTooLong, "request line longer than \(limits.maximumLineLength) bytes")
          : HTTPRequestError(
            .headerFieldsTooLarge, "header line longer than \(limits.maximumLineLength) bytes")
      }
      headBytes += line.count + 2
      guard headBytes <= limits.maximumHeadBytes else {
        throw HTTPRequestError(
          .headerFieldsTooLarge, "request head larger than \(limits.maximumHeadBytes) bytes")
      }
      guard var request = self.request else {
        // A server should skip empty lines before the request line (RFC 9112, section 2.2).
        if !line.isEmpty { self.request = try Self.parseRequestLine(line) }
        continue
      }
      if line.isEmpty {
        try Self.checkHost(of: request)
        isFinished = true
        return request
      }
      guard request.fields.count < limits.maximumFieldCount else {
        throw HTTPRequestError(
          .headerFieldsTooLarge, "more than \(limits.maximumFieldCount) header fields")
      }
      request.fields.append(try Self.parseField(line))
      self.request = request
    }
  }

  /// Parses `method SP request-target SP HTTP-version`, with exactly one space between.
  private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPRequestError)
    -> HTTPRequest
  {
    let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
    guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
      throw HTTPRequestError(.badRequest, "expected a request line: METHOD /path HTTP/1.1")
    }
    guard parts[0].allSatisfy(isTokenByte) else {
      throw HTTPRequestError(.badRequest, "invalid method")
    }
    // Only origin-form targets (`/path?query`): a server that is no proxy needs no other.
    guard parts[1].first == UInt8(ascii: "/"), parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
    else {
      throw HTTPRequestError(.badRequest, "the request target must be a path starting with /")
    }
    let version = Array(parts[2])
    guard version.count == 8, version[..<5].elementsEqual("HTTP/".utf8), isDigit(version[5]),
      version[6] == UInt8(ascii: "."), isDigit(version[7])
    else {
      throw HTTPRequestError(.badRequest, "expected HTTP/1.1 at the end of the request line")
    }
    guard version[5] == UInt8(ascii: "1") else {
      throw HTTPRequestError(.httpVersionNotSupported, "this server speaks HTTP/1.1 only")
    }
    return HTTPRequest(
      method: String(decoding: parts[0], as: UTF8.self),
      target: String(decoding: parts[1], as: UTF8.self),
      version: String(decoding: version, as: UTF8.self))
  }

  /// Parses `name: value`. Whitespace before the colon and folded continuation lines are
  /// refused, as RFC 9112 requires: they were used to smuggle requests past proxies.
  private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPRequestError) -> HTTPField {
    if line.first == 0x20 || line.first == 0x09 {
      throw HTTPRequestError(.badRequest, "folded header lines are not accepted")
    }
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
      line[..<colon].allSatisfy(isTokenByte)
    else {
      throw HTTPRequestError(.badRequest, "expected a header line: Name: value")
    }
    var value = line[(colon + 1)...]
    while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
    while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
    guard value.allSatisfy({ ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 }) else {
      throw HTTPRequestError(.badRequest, "control character in a header value")
    }
    return HTTPField(
      String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
  }

  /// An HTTP/1.1 request must name the host it is for, exactly once (RFC 9112, section 3.2).
  private static func checkHost(of request: HTTPRequest) throws(HTTPRequestError) {
    let hosts = request.fields.filter { $0.name.lowercased() == "host" }
    if hosts.count > 1 || (request.version == "HTTP/1.1" && hosts.isEmpty) {
      throw HTTPRequestError(.badRequest, "an HTTP/1.1 request needs exactly one Host field")
    }
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
  }

  /// Whether `byte` may appear in a method or field name (RFC 9110's `tchar`).
  private static func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      true
    default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }
  }
}

/// A response: status line, header fields and body, ready to be sent.
public struct HTTPResponse: Equatable, Sendable {
  /// The status.
  public var status: HTTPStatus
  /// Header fields besides `Content-Length` and `Connection`, which `head` adds.
  public var fields: [HTTPField]
  /// The body.
  public var body: [UInt8]

  /// Creates a response.
  public init(status: HTTPStatus, fields: [HTTPField] = [], body: [UInt8] = []) {
    self.status = status
    self.fields = fields
    self.body = body
  }

  /// A plain-text response, as every error is sent: a person reading it in a browser or
  /// with `curl` sees why.
  public static func text(_ status: HTTPStatus, _ text: String, fields: [HTTPField] = [])
    -> HTTPResponse
  {
    HTTPResponse(
      status: status, fields: [HTTPField("Content-Type", "text/plain; charset=utf-8")] + fields,
      body: Array((text + "\n").utf8))
  }

  /// The status line and header fields, ending with the empty line.
  ///
  /// Every response says `Connection: close`: the server answers one request per
  /// connection, so the end of the stream also marks the end of a body sent without a
  /// length (an event stream).
  ///
  /// - Parameter includesLength: Whether to send `Content-Length` (not for a stream).
  public func head(includesLength: Bool = true) -> [UInt8] {
    var text = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
    for field in fields { text += "\(field.name): \(field.value)\r\n" }
    if includesLength { text += "Content-Length: \(body.count)\r\n" }
    text += "Connection: close\r\n\r\n"
    return Array(text.utf8)
  }

  /// The whole response as sent: head, then body.
  public var bytes: [UInt8] { head() + body }
}
