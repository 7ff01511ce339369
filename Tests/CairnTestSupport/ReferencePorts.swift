/// Python ports of reference algorithms, shared by the tests and the benchmarks that run them.
package enum ReferencePorts {
  /// A NumPy port of voxel51/zcore's `zcore_score`, written from its description (not from
  /// the reference's code): `zcore(emb, n_sample, sample_dim, redund_nn, redund_exp, rand_init,
  /// rng, times=None)` returns the normalised scores; a `times` dict receives the setup and
  /// draw times in seconds.
  ///
  /// Two points where the reference's code leaves the result to numpy, made explicit here:
  /// - Constant dimensions (min = max, such as always-zero pixels), on which the reference's
  ///   triangular draw fails, are never chosen.
  /// - Exact duplicates. The description sorts by distance to the covering sample, drops the
  ///   first entry ("itself") and penalises the next when it is at distance 0. The reference's
  ///   code does that with numpy's default (unstable) `argsort`, whose order among equal
  ///   distances depends on the numpy build: on scikit-learn's digits pixels the AVX2 kernel
  ///   penalises the covering sample itself in about a quarter of these draws, and two
  ///   reference runs on one build agree at Spearman ρ 0.77 but at 0.61 between numpy's AVX2
  ///   and baseline kernels. So the port drops the covering sample itself and penalises one
  ///   of its copies chosen with `rng`. On data without exact duplicates this is the
  ///   reference's code path unchanged.
  package static let zcore = """
    import time
    import numpy as np

    def zcore(emb, n_sample, sample_dim, redund_nn, redund_exp, rand_init, rng, times=None):
        start = time.perf_counter()
        n = emb.shape[0]
        low, mid, high = emb.min(axis=0), np.median(emb, axis=0), emb.max(axis=0)
        usable = np.flatnonzero(high > low)
        scores = rng.uniform(0, 1, n) if rand_init else np.zeros(n)
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(n_sample):
            dims = rng.choice(usable, sample_dim, replace=False)
            point = rng.triangular(low[dims], mid[dims], high[dims])
            sub = emb[:, dims]
            covering = np.argmin(np.abs(sub - point).sum(axis=1))
            scores[covering] += 1
            spread = np.abs(sub - sub[covering]).sum(axis=1)
            nearest = np.argsort(spread)[1:redund_nn + 1]
            if spread[nearest[0]] == 0:
                # Exact copies of the covering sample: drop the sample itself and penalise one
                # copy. numpy leaves the order of equal distances unspecified (it differs
                # between builds), so the copy is chosen at random; see the note above.
                copies = np.flatnonzero(spread == 0)
                scores[rng.choice(copies[copies != covering])] -= 1
            else:
                weights = spread[nearest] ** (-redund_exp)
                scores[nearest] -= weights / weights.sum()
        if times is not None:
            times["setup"], times["loop"] = setup, time.perf_counter() - start
        return (scores - scores.min()) / (scores.max() - scores.min())

    """
}
