import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// How the curation algorithms split work over the machine's cores.
enum Parallel {
  /// The number of workers: one per online core.
  static var workerCount: Int {
    #if canImport(Glibc)
    return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
    return 1
    #endif
  }

  /// Runs `body(worker)` for each worker index `0..<count` on all cores.
  ///
  /// - Parameters:
  ///   - count: The number of work items.
  ///   - body: The work for one item; items run concurrently.
  static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count == 1 {
      body(0)
    } else if count > 1 {
      DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
  }
}

/// A buffer that concurrent workers write at disjoint indices.
///
/// Swift cannot prove that the workers of `concurrentPerform` never write the same element;
/// they do not, by construction, so the wrapper opts out of the check.
struct SharedBuffer<Element>: @unchecked Sendable {
  let base: UnsafeMutableBufferPointer<Element>

  subscript(index: Int) -> Element {
    get { base[index] }
    nonmutating set { base[index] = newValue }
  }
}

/// A buffer that concurrent workers only read.
struct SharedReadBuffer<Element>: @unchecked Sendable {
  let base: UnsafeBufferPointer<Element>

  subscript(index: Int) -> Element { base[index] }
}
