"""What the Spark job's driver receives and holds: every unit's analysis
sent with its copies' MinHash signatures (``analyze_input``, what the job
sent before) against the analyses without them plus each distinct text's
signature once (``analyze_input_apart``, what it sends now: the executors
reduce the signatures by key). The inputs are analyzed here, input by
input; then the driver's side is replayed — a ``CleanJob`` given every
unit (and signature), streamed from a spool as the job streams them,
plans the run — and the growth of its resident memory measured.
Each way runs in a fresh process. Last, the driver's planning time with
the LSH run on the driver (both clusterings) against with the LSH pairs
found elsewhere (as the executors find them; here, untimed): what the LSH
costs a driver per distinct text.

Usage: python benches/driver.py DIR   (with the package: pip install ./python)
"""

import os
import subprocess
import sys
import tempfile
import time


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def one(way: str, root: str) -> None:
    import pickle

    from canon import _canon

    listed, errors = _canon.list_inputs([root], None, None)
    listed = sorted(listed, key=lambda t: t[0].encode("utf-8"))
    unit_bytes = sig_bytes = sent = 0
    keys = set()
    with tempfile.TemporaryDirectory() as tmp, open(os.path.join(tmp, "spool"), "w+b") as spool:
        # The executors' side: what each input sends, spooled to disk (the
        # driver streams it in, a partition at a time).
        for i, (display, kind, path, _size) in enumerate(listed):
            if way == "with-signatures":
                units, sigs = _canon.analyze_input(i, display, kind, path, None, {"jobs": 1}), []
            else:
                units, sigs = _canon.analyze_input_apart(i, display, kind, path, None, {"jobs": 1})
            sent += len(sigs)
            for key, s, _ in sigs:
                if key not in keys:  # (the reduce by key)
                    keys.add(key)
                    sig_bytes += len(key) + len(s)
                    pickle.dump(("s", key, s), spool)
            for _, b in units:
                unit_bytes += len(b)
                pickle.dump(("u", b), spool)
        spool.seek(0)
        base = rss_mb()
        job = _canon.CleanJob([root], os.path.join(tmp, "out"))
        while True:
            try:
                item = pickle.load(spool)
            except EOFError:
                break
            if item[0] == "s":
                job.add_signature(item[1], item[2])
            else:
                job.add(item[1], signatures_apart=way != "with-signatures")
        planned = job.plan([], errors)
        held = rss_mb() - base
        del planned
    unit_mb, sig_mb = unit_bytes / 1e6, sig_bytes / 1e6
    sigs = f"{sig_mb:.2f} MB ({len(keys)} of {sent} sent)" if way != "with-signatures" else "(inside)"
    print(f"| {way} | {unit_mb:.2f} MB | {sigs} | {unit_mb + sig_mb:.2f} MB | {held:.0f} MB |")


def lsh(members, threshold):
    """The LSH a cluster's executors run (``members``: key → (place,
    signature)), in this process: each compared pair where it is first
    compared, verified."""
    from canon import _canon

    buckets = {}
    for key, (place, sig) in members.items():
        for band, k in enumerate(_canon.band_keys(sig) or ()):
            buckets.setdefault((band, k), []).append((place, key))
    first = {}
    for (band, k), ms in buckets.items():
        if len(ms) > 1:
            for pair in _canon.bucket_pairs(ms):
                first[pair] = min(first.get(pair, (band, k)), (band, k))
    out = []
    for (e, l), (band, k) in first.items():
        c = _canon.candidate(band, k, e, l, members[e][1], members[l][1], threshold)
        if c is not None:
            out.append(c)
    return out


def plan_times(root: str) -> None:
    from canon import _canon

    listed, errors = _canon.list_inputs([root], None, None)
    listed = sorted(listed, key=lambda t: t[0].encode("utf-8"))
    analyzed, sigs = [], {}
    for i, (display, kind, path, _size) in enumerate(listed):
        units, got = _canon.analyze_input_apart(i, display, kind, path, None, {"jobs": 1})
        analyzed.append(units)
        for key, s, place in got:
            old = sigs.get(key)
            if old is None or (old[0] is None and place is not None):
                sigs[key] = (None if place is None else (i, *place), s)

    def job(out):
        j = _canon.CleanJob([root], out)
        for units in analyzed:
            for _, b in units:
                j.add(b, signatures_apart=True)
        for key, (_, s) in sigs.items():
            j.add_signature(key, s)
        return j

    with tempfile.TemporaryDirectory() as tmp:
        best_local = best_found = float("inf")
        first = lsh({k: v for k, v in sigs.items() if v[0] is not None}, 0.8)
        rounds = 1
        for n in range(3):
            j = job(os.path.join(tmp, f"a{n}"))
            t = time.perf_counter()
            j.plan([], errors)
            best_local = min(best_local, time.perf_counter() - t)
            j = job(os.path.join(tmp, f"b{n}"))
            outside = [0.0]

            def again(blob):
                nonlocal rounds
                rounds = 2
                t = time.perf_counter()
                members = {}
                for o in range(0, len(blob), 40):
                    key = blob[o:o + 32]
                    members[key] = ((int.from_bytes(blob[o + 32:o + 40], "little"),), sigs[key][1])
                pairs = lsh(members, 0.8)
                outside[0] += time.perf_counter() - t
                return pairs

            t = time.perf_counter()
            j.plan([], errors, candidates=first, again=again)
            best_found = min(best_found, time.perf_counter() - t - outside[0])
    texts = len(sigs)
    print(
        f"| {texts} texts, clustered {rounds}× | plan, LSH on the driver: {best_local:.3f} s "
        f"| LSH pairs found elsewhere: {best_found:.3f} s "
        f"| the LSH's share: {(best_local - best_found) / texts * 1e6:.0f} µs per text |"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3:
        if sys.argv[1] == "plan-times":
            plan_times(sys.argv[2])
        else:
            one(sys.argv[1], sys.argv[2])
        sys.exit(0)
    root = sys.argv[1]
    print("| analyses sent | units | signatures | to the driver | driver memory after planning |")
    print("|---|---|---|---|---|")
    for way in ("with-signatures", "signatures-apart"):
        subprocess.run([sys.executable, __file__, way, root], check=True)
    subprocess.run([sys.executable, __file__, "plan-times", root], check=True)
