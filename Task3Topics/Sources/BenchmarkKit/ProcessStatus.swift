/// Reads a process's memory, threads and CPU time from the text of its `/proc` files.
///
/// Kept apart from the file reading so that the parsing can be tested on sample text.
public enum ProcessStatus {
  /// The resident set size in KiB: the `VmRSS:` line of `/proc/PID/status`.
  public static func residentKilobytes(inStatus text: String) -> Int? {
    field("VmRSS:", in: text)
  }

  /// The thread count: the `Threads:` line of `/proc/PID/status`.
  public static func threads(inStatus text: String) -> Int? {
    field("Threads:", in: text)
  }

  /// User plus system CPU time in clock ticks: fields 14 and 15 of `/proc/PID/stat`.
  ///
  /// The command name (field 2) is in parentheses and may itself contain spaces or
  /// parentheses, so counting starts after the last `)`.
  public static func cpuTicks(inStat text: String) -> Int? {
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (the state), so field n is fields[n - 3].
    guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
      return nil
    }
    return user + system
  }

  private static func field(_ name: String, in text: String) -> Int? {
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
      // `VmRSS:\t   12345 kB`: tabs and spaces before the number.
      let words = line.dropFirst(name.count).split { $0 == " " || $0 == "\t" }
      return words.first.flatMap { Int($0) }
    }
    return nil
  }
}
