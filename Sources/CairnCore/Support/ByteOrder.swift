internal import GitStore

/// Orders strings by their UTF-8 bytes (the order of git's index and of Cairn's keys), with
/// one `memcmp` (``UTF8Order``).
enum ByteOrder {
  /// Whether `a` sorts before `b` by bytes.
  static func precedes(_ a: String, _ b: String) -> Bool {
    compare(a, b) < 0
  }

  /// -1, 0 or 1 by the UTF-8 bytes of `a` and `b`.
  static func compare(_ a: String, _ b: String) -> Int {
    UTF8Order.compare(a, b) { x, y, _ in x.count == y.count ? 0 : (x.count < y.count ? -1 : 1) }
  }
}
