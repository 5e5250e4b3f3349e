"""Independent oracle for src/scoring/weights.ts: bittensor 10.2.0 weight_utils rules, run by numpy.

Written from the SDK's rules (process_weights, normalize_max_weight, convert_weights_and_uids_for_emit),
keeping the SDK's dtypes: the weights are cast to float32 and the normal path stays float32 under
numpy >= 2 promotion (NEP 50: Python floats adopt the array's dtype, numpy int64/float64 scalars do not);
the "fewer than min_allowed" path is float64 (an int64 ones-array times 1e-5). stdin: JSON list of cases,
stdout: JSON list of results. A case is {"kind": "pipeline", uids, weights, n, minAllowed, limit, q} or
{"kind": "normalize", x, limit, dtype}.
"""
import json
import sys

import numpy as np

EPS = 1e-7
U16 = 65535


def capped_normalize(arr, limit):
    """Sum 1, largest share at most `limit` (the SDK's clip-at-cutoff formula, absolute epsilon)."""
    size = arr.shape[0]
    out = arr.copy()
    ordered = np.sort(out)
    if arr.sum() == 0 or size * limit <= 1:
        return np.ones_like(arr) / size
    share = ordered / ordered.sum()
    if share.max() <= limit:
        return out / out.sum()
    running = np.cumsum(share, 0)
    if_clipped_above = np.array([(size - k - 1) * share[k] for k in range(size)])
    below = (share / (if_clipped_above + running + EPS) < limit).sum()
    scale = (limit * running[below - 1] - EPS) / (1 - (limit * (size - below)))
    level = scale * ordered.sum()
    out[out > level] = level
    return out / out.sum()


def process(uids, weights, n, min_allowed, limit, q):
    w = weights.astype(np.float32)
    positions = np.argwhere(w > 0).squeeze(axis=1)
    kept_uids = uids[positions]
    kept = w[positions]
    if kept.size == 0 or n < min_allowed:
        return np.arange(n), np.ones(n, dtype=np.int64) / n
    if kept.size < min_allowed:
        floor = np.ones(n, dtype=np.int64) * 1e-5
        floor[positions] += kept  # by position in the input, as the SDK does
        return np.arange(n), capped_normalize(floor, limit)
    most = max(0, len(kept) - min_allowed) / len(kept)
    lowest = np.quantile(kept, min([q / U16, most]))
    keep = lowest <= kept
    return kept_uids[keep], capped_normalize(kept[keep], limit)


def emit(uids, weights):
    ws = weights.tolist()
    us = uids.tolist()
    if len(ws) == 0 or min(ws) < 0 or min(us) < 0:
        return None
    if sum(ws) == 0:
        return [], []
    top = float(max(ws))
    out_u, out_v = [], []
    for w, u in zip(ws, us):
        v = round(float(float(w) / top) * int(U16))
        if v != 0:
            out_u.append(int(u))
            out_v.append(v)
    return out_u, out_v


def run(case):
    if case["kind"] == "normalize":
        x = np.array(case["x"], dtype=np.float32 if case["dtype"] == "float32" else np.float64)
        return {"y": [float(v) for v in capped_normalize(x, case["limit"])]}
    uids = np.array(case["uids"], dtype=np.int64)
    u, w = process(uids, np.array(case["weights"], dtype=np.float64), case["n"], case["minAllowed"], case["limit"], case["q"])
    emitted = emit(u, w)
    return {
        "uids": [int(v) for v in u],
        "weights": [float(v) for v in w],
        "emit": None if emitted is None else {"uids": emitted[0], "values": emitted[1]},
    }


def main():
    np.seterr(all="ignore")
    out = []
    for case in json.load(sys.stdin):
        try:
            out.append(run(case))
        except (IndexError, ValueError) as e:
            out.append({"error": f"{type(e).__name__}: {e}"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
