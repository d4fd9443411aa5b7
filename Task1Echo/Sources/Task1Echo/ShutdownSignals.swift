import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Turns Ctrl-C (`SIGINT`) and `SIGTERM` into an ordinary function call on an ordinary thread.
///
/// A signal handler interrupts whatever the process was doing, in the middle of anything, so
/// it may only call async-signal-safe functions: no locks, no allocation, no `print`. The
/// classic answer is the self-pipe trick used here: the handler writes one byte to a pipe,
/// and a watcher thread blocked reading that pipe wakes up and runs the real shutdown code
/// with none of those restrictions. A second signal while shutting down exits at once, so a
/// stuck shutdown can always be cut short.
public enum ShutdownSignals {
  /// Installs the handlers; `handler` runs once, on the watcher thread, with the signal
  /// number. Call it once, early in `main`.
  public static func install(_ handler: @escaping @Sendable (Int32) -> Void) {
    var descriptors: [Int32] = [0, 0]
    guard pipe(&descriptors) == 0 else {
      preconditionFailure("pipe failed: \(String(cString: strerror(errno)))")
    }
    for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    signalPipeWriteEnd = descriptors[1]
    let readEnd = descriptors[0]
    let watcher = Thread {
      var signalNumber: UInt8 = 0
      while true {
        let count = read(readEnd, &signalNumber, 1)
        if count == 1 { break }
        if count < 0 && errno == EINTR { continue }
        return
      }
      handler(Int32(signalNumber))
    }
    watcher.name = "shutdown-signals"
    watcher.start()
    // A parent may have started us with these signals blocked (test runners do); a blocked
    // signal stays pending forever and Ctrl-C would do nothing.
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    for signalNumber in [SIGINT, SIGTERM] {
      sigaddset(&unblocked, signalNumber)
    }
    pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    for signalNumber in [SIGINT, SIGTERM] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { signalNumber in
        // Async-signal-safe only: `write` is, and `_exit` for the impatient second Ctrl-C.
        if signalHasArrived { _exit(128 + signalNumber) }
        signalHasArrived = true
        var byte = UInt8(truncatingIfNeeded: signalNumber)
        _ = write(signalPipeWriteEnd, &byte, 1)
      }
      sigemptyset(&action.sa_mask)
      action.sa_flags = SA_RESTART
      sigaction(signalNumber, &action, nil)
    }
  }
}

// Written once before the handlers are installed, then only read by them; a signal handler
// can reach nothing but globals.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
nonisolated(unsafe) private var signalHasArrived = false
