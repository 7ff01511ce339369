/// Python ports of reference algorithms, shared by the tests and the benchmarks that run them.
package enum ReferencePorts {
  /// A NumPy port of voxel51/zcore's `zcore_score`, written from its description (not from
  /// the reference's code): `zcore(emb, n_sample, sample_dim, redund_nn, redund_exp, rand_init,
  /// rng, times=None)` returns the normalised scores; a `times` dict receives the setup and
  /// draw times in seconds.
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
                scores[nearest[0]] -= 1
            else:
                weights = spread[nearest] ** (-redund_exp)
                scores[nearest] -= weights / weights.sum()
        if times is not None:
            times["setup"], times["loop"] = setup, time.perf_counter() - start
        return (scores - scores.min()) / (scores.max() - scores.min())

    """
}
