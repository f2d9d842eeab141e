#!/usr/bin/env python3
"""scikit-learn's Barnes-Hut t-SNE on the data `convlens bench` wrote, for a side-by-side figure.

Usage: tsne_sklearn.py IN OUT PERPLEXITY THREADS SEED
IN:  little-endian int32 n, int32 d, then n*d float64 (row-major), the PCA-50 input.
OUT: n*2 float64, the embedding. Prints "seconds=<fit time>" (data loading excluded).
Needs Debian's python3-sklearn. Settings: scikit-learn's defaults (method barnes_hut, angle 0.5,
init pca, learning_rate auto, 1000 iterations, early exaggeration 12), the same as ConvLens's.
"""
import struct
import sys
import time

import numpy as np
from sklearn.manifold import TSNE


def main():
    src, dst, perplexity, threads, seed = sys.argv[1:6]
    with open(src, "rb") as f:
        n, d = struct.unpack("<ii", f.read(8))
        x = np.frombuffer(f.read(), dtype="<f8").reshape(n, d)
    start = time.perf_counter()
    y = TSNE(n_components=2, perplexity=float(perplexity), method="barnes_hut", angle=0.5,
             init="pca", learning_rate="auto", random_state=int(seed),
             n_jobs=int(threads)).fit_transform(x)
    seconds = time.perf_counter() - start
    y.astype("<f8").tofile(dst)
    print("seconds=%.3f" % seconds)


if __name__ == "__main__":
    main()
