#if canImport(Glibc)
internal import Glibc
#endif

/// Orders strings by their UTF-8 bytes (the order of git's index and of Cairn's keys).
///
/// `String.utf8.lexicographicallyPrecedes` walks the views generically; this compares the
/// contiguous UTF-8 storage with `memcmp`, which made sorting 100 000 keys several times faster.
enum ByteOrder {
  /// Whether `a` sorts before `b` by bytes.
  static func precedes(_ a: String, _ b: String) -> Bool {
    compare(a, b) < 0
  }

  /// -1, 0 or 1 by the UTF-8 bytes of `a` and `b`.
  static func compare(_ a: String, _ b: String) -> Int {
    var a = a
    var b = b
    return a.withUTF8 { x in
      b.withUTF8 { y in
        let common = min(x.count, y.count)
        if common > 0, let p = x.baseAddress, let q = y.baseAddress {
          let order = memcmp(p, q, common)
          if order != 0 { return order < 0 ? -1 : 1 }
        }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
      }
    }
  }
}
