internal import Dispatch

/// Runs `body` over `0..<count` on all cores, each worker owning the state `makeState` builds
/// (libgit2 and zlib handles are per thread), and collects one result per index.
///
/// `grain` is the least number of items worth a worker: 64 for reading small files; 1 for
/// work as heavy as decoding an image.
func parallelMap<State, Result: Sendable>(
  count: Int, grain: Int = 64, state makeState: @autoclosure () -> State,
  _ body: (inout State, Int) -> Result
) -> [Result] {
  guard count > 0 else { return [] }
  let workers = min(
    max(1, ProcessInfoLite.activeProcessorCount), max(1, count / max(1, grain) + 1))
  if workers == 1 {
    var state = makeState()
    return (0..<count).map { body(&state, $0) }
  }
  let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: count)
  results.initialize(repeating: nil)
  defer { results.deallocate() }
  let box = UncheckedBox(results)
  withoutActuallyEscaping(body) { body in
    withoutActuallyEscaping(makeState) { makeState in
      let work = UncheckedBox((body, makeState))
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var state = work.value.1()
        var index = worker
        while index < count {
          box.value[index] = work.value.0(&state, index)
          index += workers
        }
      }
    }
  }
  return results.map { slot in
    guard let slot else { preconditionFailure("parallelMap left a slot unfilled") }
    return slot
  }
}

/// Moves a non-Sendable value into concurrent code whose accesses are partitioned by hand.
struct UncheckedBox<T>: @unchecked Sendable {
  var value: T
  init(_ value: T) { self.value = value }
}

enum ProcessInfoLite {
  static var activeProcessorCount: Int {
    #if canImport(Glibc)
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    #else
    2
    #endif
  }
}

#if canImport(Glibc)
internal import Glibc
#endif
