#if canImport(Glibc)
  import Glibc
#endif

/// Runs a system call, retrying it while it fails with `EINTR`, and turns a failure into a
/// `SocketError`.
///
/// Every socket call in the workbook goes through this one helper, so no call site can forget
/// that a signal may interrupt a blocking call. Errors that can only mean a bug in this
/// program (`EBADF`, `EFAULT`: a closed or invalid descriptor, a bad pointer) stop it with a
/// precondition failure instead of being reported as if the network had failed.
///
/// `close(2)` must not go through here: on Linux the descriptor is released even when
/// `close` reports `EINTR`, so retrying could close a descriptor another thread just opened.
///
/// - Parameters:
///   - operation: The call's name, used in the error (`"recv"`, `"accept"`).
///   - body: The call itself; it returns -1 and sets `errno` on failure, as POSIX calls do.
/// - Returns: The call's non-negative result.
/// - Throws: `SocketError.disconnected` for `EPIPE`/`ECONNRESET`, `.timedOut` for
///   `EAGAIN` (a socket timeout expired), otherwise `.failed(operation:errno:)`.
@inline(__always)
public func retryingOnInterrupt<Result: BinaryInteger>(
  _ operation: String, _ body: () -> Result
) throws(SocketError) -> Result {
  while true {
    let result = body()
    if result >= 0 { return result }
    let code = Glibc.errno
    switch code {
    case EINTR:
      continue
    case EBADF, EFAULT:
      preconditionFailure("\(operation): \(String(cString: strerror(code))) (a program bug)")
    case EPIPE, ECONNRESET:
      throw .disconnected
    case EAGAIN:
      throw .timedOut
    default:
      throw .failed(operation: operation, errno: code)
    }
  }
}

/// Makes writing to a closed connection an error (`EPIPE`) instead of a process-killing
/// `SIGPIPE`.
///
/// Every `send` in the workbook also passes `MSG_NOSIGNAL`; this covers what does not go
/// through `send` (writing to a closed pipe on standard output, for example). Call it once
/// at startup. Linux has no per-socket `SO_NOSIGPIPE`, so this is process-wide.
public func ignoreBrokenPipeSignal() {
  signal(SIGPIPE, SIG_IGN)
}
