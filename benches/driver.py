"""What the Spark job's driver receives and holds: every unit's analysis
sent with its copies' MinHash signatures (``analyze_input``, what the job
sent before) against the analyses without them plus each distinct text's
signature once (``analyze_input_apart``, what it sends now: the executors
reduce the signatures by key). The inputs are analyzed here, input by
input; then the driver's side is replayed — a ``CleanJob`` given every
unit (and signature) plans the run — and its resident memory measured.
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
    from canon import _canon

    base = rss_mb()
    listed, errors = _canon.list_inputs([root], None, None)
    listed = sorted(listed, key=lambda t: t[0].encode("utf-8"))
    units, signatures, sent = [], {}, 0
    for i, (display, kind, path, _size) in enumerate(listed):
        if way == "with-signatures":
            units += [b for _, b in _canon.analyze_input(i, display, kind, path, None, {"jobs": 1})]
        else:
            us, sigs = _canon.analyze_input_apart(i, display, kind, path, None, {"jobs": 1})
            units += [b for _, b in us]
            sent += len(sigs)
            for key, s in sigs:
                signatures.setdefault(key, s)
    unit_mb = sum(map(len, units)) / 1e6
    sig_mb = sum(len(k) + len(s) for k, s in signatures.items()) / 1e6
    distinct = len(signatures)
    with tempfile.TemporaryDirectory() as tmp:
        job = _canon.CleanJob([root], os.path.join(tmp, "out"))
        for key, s in signatures.items():
            job.add_signature(key, s)
        for b in units:
            job.add(b, signatures_apart=way != "with-signatures")
        del units, signatures
        planned = job.plan([], errors)
        held = rss_mb() - base
        del planned
    sigs = f"{sig_mb:.2f} MB ({distinct} of {sent} sent)" if way != "with-signatures" else "(inside)"
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
