"""The STA baselines in numpy, on the data bench/sta.ts dumps (same movies, same spike frames).

Usage: /usr/bin/python3 bench/sta-numpy.py DIR RUNS
DIR holds manifest.json: [{"movie": "movie-0.npy", "frames": "frames-0.npy", "offsets": "offsets-0.npy"}, ...]
with each movie (n_frames, frame_size) float64, frames contiguous (the column-major (x, y, t) movie
read as C order), every spike's frame index (int64, by floor((t - onset) * fps), computed by
rg-schema so the frame rule is the same), and each neuron's first spike in frames (n_neurons + 1).
Prints JSON: for each n_lags, the seconds of every run of each method and a checksum of the STAs.
"""
import json
import sys
import time

import numpy as np


def counts(frames, n_lags, n_frames):
    """The frames holding usable spikes, ascending, and their spike counts."""
    f = frames[(frames >= n_lags - 1) & (frames < n_frames)]
    return np.unique(f, return_counts=True)


def frame_by_frame(movie, frames, n_lags):
    """For each frame with spikes: count x the lag window, added with vectorised numpy."""
    uf, uc = counts(frames, n_lags, movie.shape[0])
    if uf.size == 0:
        return np.full((n_lags, movie.shape[1]), np.nan)
    acc = np.zeros((n_lags, movie.shape[1]))
    tmp = np.empty_like(acc)
    for f, c in zip(uf.tolist(), uc.tolist()):
        window = movie[f - n_lags + 1:f + 1][::-1]  # lag 0 first
        if c == 1:
            np.add(acc, window, out=acc)
        else:
            np.multiply(window, c, out=tmp)
            np.add(acc, tmp, out=acc)
    return acc / uc.sum()


def gather(movie, frames, n_lags, block=256):
    """movie[frame - lag] gathered for every (frame, lag) at once, then weighted by counts (BLAS)."""
    uf, uc = counts(frames, n_lags, movie.shape[0])
    if uf.size == 0:
        return np.full((n_lags, movie.shape[1]), np.nan)
    lags = np.arange(n_lags)
    acc = np.zeros((n_lags, movie.shape[1]))
    for s in range(0, uf.size, block):  # in blocks, so the gathered copy stays a few hundred MB at most
        idx = uf[s:s + block, None] - lags[None, :]
        acc += np.tensordot(uc[s:s + block].astype(np.float64), movie[idx], axes=(0, 0))
    return acc / uc.sum()


def main():
    directory, runs = sys.argv[1], int(sys.argv[2])
    with open(f"{directory}/manifest.json") as fh:
        manifest = json.load(fh)
    stims = [(np.load(f"{directory}/{m['movie']}"), np.load(f"{directory}/{m['frames']}"), np.load(f"{directory}/{m['offsets']}")) for m in manifest]
    out = {"numpy": np.__version__}
    for n_lags in (5, 10, 20):
        result = {}
        for name, method in (("frame", frame_by_frame), ("gather", gather)):
            seconds = []
            checksum = 0.0
            for _ in range(runs):
                checksum = 0.0
                start = time.perf_counter()
                for movie, frames, offsets in stims:
                    for n in range(offsets.size - 1):
                        sta = method(movie, frames[offsets[n]:offsets[n + 1]], n_lags)
                        checksum += float(np.nansum(sta))
                seconds.append(time.perf_counter() - start)
            result[name] = {"seconds": seconds, "checksum": checksum}
        out[str(n_lags)] = result
    print(json.dumps(out))


if __name__ == "__main__":
    main()
