"""What the Spark job's driver receives and holds: every unit's analysis
sent with its copies' MinHash signatures (``analyze_input``, what the job
sent before) against the analyses without them plus each distinct text's
signature once (``analyze_input_apart``, what it sends now: the executors
reduce the signatures by key). The inputs are analyzed here, input by
input; then the driver's side is replayed — a ``CleanJob`` given every
unit (and signature), streamed from a spool as the job streams them,
plans the run — and the growth of its resident memory measured.
Each way runs in a fresh process.

Usage: python benches/driver.py DIR   (with the package: pip install ./python)
"""

import os
import subprocess
import sys
import tempfile


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


if __name__ == "__main__":
    if len(sys.argv) == 3:
        one(sys.argv[1], sys.argv[2])
        sys.exit(0)
    root = sys.argv[1]
    print("| analyses sent | units | signatures | to the driver | driver memory after planning |")
    print("|---|---|---|---|---|")
    for way in ("with-signatures", "signatures-apart"):
        subprocess.run([sys.executable, __file__, way, root], check=True)
