"""``python -m canon.spark clean INPUT... --out DIR``: ``canon clean`` on
Apache Spark, with the same documents and report.

The job, stage by stage (every step calls the Rust library; nothing of
canon is reimplemented here):

1. **list** (driver): local inputs are listed as ``canon clean`` lists them
   (sorted display paths, hidden and ignore-file rules, the output never
   read); URIs Spark reads (``hdfs://``, ``s3a://``, ``file://``) are listed
   by Hadoop's ``FileSystem`` (every file, hidden ones too) and named like
   absolute paths (told apart like canon's roots); Spark's ``binaryFile``
   source reads them, but for the names it skips (``_…``, ``.…``), which
   the driver reads.
2. **analyze** (executors, one task per slice of inputs): each input's units
   decoded, normalized, folded, segmented and fingerprinted. What travels
   back per unit is its analysis without its text and without its MinHash
   signatures (copies' places, keys, edges); the signatures (128 minima
   and the containment samples, most of the bytes) are a function of the
   copy's key, so they are reduced by key on the executors and reach the
   driver once per distinct text (see the README, "Running on a
   cluster").
3. **LSH** (driver by default, over the signatures it holds for the plan
   anyway; with ``--lsh executors`` on the executors): each distinct
   text's 64 band keys, grouped by band key; each bucket's compared pairs (members in run order, each
   with the 8 before it), each pair kept once (where it is first
   compared), joined with its two signatures and verified; the pairs that
   are one document travel to the driver (about 80 bytes each).
4. **plan** (driver): clustering (the verified pairs replayed in the order
   ``canon clean`` visits them, so the order they arrive in never
   matters), archive chrome, truncation and backbones, over every unit's
   result in run order — the run-level half of ``canon clean``, so the
   documents never depend on how inputs were partitioned. When copies
   were joined to their rests (a retried scrape: cut copies, then the
   whole text), the run is clustered again: with ``--lsh executors`` the
   driver sends each text's new place (40 bytes), joined with the
   signatures the executors kept, and step 3 runs again there.
5. **render** (executors): each input holding a wanted copy is read again;
   its copies are rendered and checked against their keys.
6. **vote** (executors, after a shuffle by document): each document's
   canonical text from its backbone and other readings.
7. **write** (driver): documents streamed in, written through canon's own
   output (locked, staged, published whole) with the report.

Local inputs are read by the executors from their paths (local mode, or a
file system every node mounts); URIs are read by Spark.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _canon

#: Schemes read through Spark's ``binaryFile`` source.
_REMOTE = ("hdfs://", "s3://", "s3a://", "s3n://", "gs://", "abfs://", "abfss://", "wasb://", "file:")


def _is_remote(path: str) -> bool:
    return path.startswith(_REMOTE)


def _session(master: Optional[str], app: str = "canon clean"):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    if master:
        builder = builder.master(master)
    # Executors use this interpreter in local mode (the package is here).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return builder.getOrCreate()


def _qualified(spark, uri: str) -> str:
    """``uri`` as Hadoop qualifies it (the form Spark's sources report)."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs.makeQualified(path).toString()


def _remote_files(spark, uris: Sequence[str], hidden: bool = True):
    """The files below ``uris``, listed by Hadoop's ``FileSystem`` (every
    file, as ``canon clean`` lists a folder): ``(display, uri)`` for each —
    a root named like an absolute path, by its last component, lengthened
    (``_canon.root_displays``) when another root has that name —, one
    ``binaryFile`` DataFrame of those Spark's sources read (lazily: listing
    selects only paths), and the URIs of those they skip (names starting
    with ``_`` or ``.``: Spark's metadata and staging files, data to canon),
    which the driver reads (:func:`_read_on_driver`). With ``hidden``
    false, names starting with ``.`` below a root are not read, as
    ``--no-hidden`` has it. A root that cannot be listed (missing, refused)
    is an error message (``display: why``), as ``canon clean`` reports a
    local one, and the run goes on."""
    from py4j.protocol import Py4JJavaError

    sc = spark.sparkContext
    conf = sc._jsc.hadoopConfiguration()
    qualified = [_qualified(spark, root).rstrip("/") for root in uris]
    names = _canon.root_displays(qualified)
    frames, listing, reads, errors = [], [], [], []
    for root, base, name in zip(uris, qualified, names):
        path = sc._jvm.org.apache.hadoop.fs.Path(root)
        every = []
        try:
            fs = path.getFileSystem(conf)
            found = fs.listFiles(path, True)
            while found.hasNext():
                every.append(found.next().getPath().toString())
            is_file = fs.getFileStatus(path).isFile()
        except Py4JJavaError as e:
            java = e.java_exception
            why = "No such file or directory" if java.getClass().getSimpleName() == "FileNotFoundException" else java.getClass().getSimpleName()
            errors.append(f"{name}: {why} ({java.getMessage()})")
            continue
        if is_file and name.startswith(("_", ".")):
            read = set()
        else:
            df = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(root)
            read = {row.path for row in df.select("path").collect()}
            frames.append(df)
            reads.append(read)
        for uri in sorted(set(every) | read):
            # (A path the file system spells otherwise than its root: by
            # its last component, as before.)
            tail = uri[len(base):].lstrip("/") if uri.startswith(base + "/") else "" if uri == base else uri.rsplit("/", 1)[-1]
            if not hidden and any(part.startswith(".") for part in tail.split("/")):
                # (Spark reads no such file: its own filter is stricter.)
                continue
            listing.append((f"{name}/{tail}" if tail else name, uri))
    # Each file once, under the first display (in sorted order) that
    # reaches it — roots may overlap —, as canon clean lists.
    listing.sort(key=lambda it: it[0].encode("utf-8"))
    seen: set = set()
    listing = [it for it in listing if not (it[1] in seen or seen.add(it[1]))]
    read_by_spark = set().union(*reads)
    skipped = [u for _, u in listing if u not in read_by_spark]
    files = None
    for df in frames:
        files = df if files is None else files.unionByName(df)
    if files is not None and sum(len(r) for r in reads) > len(read_by_spark):
        # (Overlapping roots: a file Spark reads twice is analyzed once.)
        files = files.dropDuplicates(["path"])
    return files, listing, skipped, errors


def _read_on_driver(spark, uri: str) -> bytes:
    """A file's bytes, read by the driver through Hadoop's ``FileSystem``
    (for the files Spark's sources skip)."""
    sc = spark.sparkContext
    path = sc._jvm.org.apache.hadoop.fs.Path(uri)
    stream = path.getFileSystem(sc._jsc.hadoopConfiguration()).open(path)
    try:
        return bytes(sc._jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
    finally:
        stream.close()


def _key_partition(key: bytes) -> int:
    """A copy key's partition: its first bytes (blake3: well spread; the
    same on every worker, unlike ``hash`` of bytes)."""
    return int.from_bytes(key[:8], "little")


def _earliest(a, b):
    """Of two ``(place, signature)`` of one key (equal signatures), the one
    with the earlier place in the run (``None``: no copy of the key's own,
    only a whole copy continued into its rest)."""
    if a[0] is None or (b[0] is not None and b[0] < a[0]):
        return b
    return a


def _candidates(signatures, threshold: float, slices: int):
    """The LSH pairs that are one document, as candidate bytes for
    ``CleanJob.plan``: ``signatures`` is ``(key, (place, signature))`` per
    distinct text. Keys are joined on as integers (hashed the same on
    every worker)."""
    by_int = signatures.map(lambda kv: (int.from_bytes(kv[0], "little"), kv[1][1]))

    def bands(kv):
        key, (place, sig) = kv
        if place is None:
            return []
        return [((b, k), (place, key)) for b, k in enumerate(_canon.band_keys(sig) or ())]

    def pairs(bucket):
        (band, k), members = bucket
        members = list(members)
        if len(members) < 2:
            return []
        return [((e, l), (band, k)) for e, l in _canon.bucket_pairs(members)]

    def verify(item):
        _, (((band, k, e, l), sig_e), sig_l) = item
        c = _canon.candidate(band, k, e, l, sig_e, sig_l, threshold)
        return [c] if c is not None else []

    # A pair several bands compare counts where it is first compared.
    found = (
        signatures.flatMap(bands)
        .groupByKey(slices)
        .flatMap(pairs)
        .reduceByKey(min, slices, lambda p: int.from_bytes(p[1][:8], "little"))
        .map(lambda kv: (int.from_bytes(kv[0][0], "little"), (kv[1][0], kv[1][1], kv[0][0], kv[0][1])))
    )
    with_earlier = found.join(by_int, slices).map(
        lambda kv: (int.from_bytes(kv[1][0][3], "little"), (kv[1][0], kv[1][1]))
    )
    return with_earlier.join(by_int, slices).flatMap(verify)


#: Bytes per text ``CleanJob.plan`` hands its ``again``: key, then index.
_MEMBER = 40


def _slices(blob: bytes, n: int) -> List[bytes]:
    """``blob`` of ``_MEMBER``-byte records in at most ``n`` slices."""
    count = len(blob) // _MEMBER
    step = _MEMBER * max(1, -(-count // max(1, n)))
    return [blob[o:o + step] for o in range(0, len(blob), step)] or [b""]


def _members(chunk: bytes):
    """A slice's texts as ``(key, (index,))``: the place of its first copy."""
    return [
        (chunk[o:o + 32], (int.from_bytes(chunk[o + 32:o + _MEMBER], "little"),))
        for o in range(0, len(chunk), _MEMBER)
    ]


def _computed(rdd):
    """The items of ``rdd``, computed by all executors at once (kept in
    their memory, or on their disks), then brought to the driver one
    partition at a time (``toLocalIterator`` alone would compute the
    partitions one after the other)."""
    from pyspark import StorageLevel

    rdd = rdd.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rdd.count()
        yield from rdd.toLocalIterator()
    finally:
        rdd.unpersist()


def clean(
    inputs: Sequence[str],
    out: str,
    *,
    master: Optional[str] = None,
    output_format: str = "txt",
    report: Optional[str] = None,
    force: bool = False,
    partitions: Optional[int] = None,
    spark=None,
    traffic: Optional[Dict[str, int]] = None,
    lsh: str = "driver",
    **options: Any,
) -> Dict[str, Any]:
    """Runs the job (see the module doc); returns the report as a dict.

    ``partitions`` slices the inputs (default: Spark's default parallelism);
    the result never depends on it. ``options`` are ``canon clean``'s
    (``threshold``, ``profile``, ``text_field``, ...). ``traffic``, if
    ``lsh`` says where the LSH runs: ``"driver"`` (the default: the
    driver holds every distinct text's signature for the plan anyway, and
    banding them there costs about a microsecond per text) or
    ``"executors"`` (band keys grouped, pairs verified there, for both
    clusterings: the step a plan distributed past one driver builds on;
    on one machine its shuffles cost seconds). ``traffic``, if
    given, is filled with what reached the driver: ``units`` and
    ``unit_bytes`` (analyses without signatures), ``signatures`` and
    ``signature_bytes`` (one per distinct text), ``candidates`` and
    ``candidate_bytes`` (verified LSH pairs, of both clusterings),
    ``documents`` and ``document_bytes`` (voted texts and stats); and what
    it sent back: ``again`` and ``again_bytes``, the texts of a second
    clustering (0 when copies did not change after the first).
    """
    if lsh not in ("driver", "executors"):
        raise ValueError(f"lsh must be 'driver' or 'executors', not {lsh!r}")
    own = spark is None
    spark = spark or _session(master)
    sc = spark.sparkContext
    counts = traffic if traffic is not None else {}
    try:
        return _clean(spark, sc, list(inputs), out, output_format, report, force, partitions, options, counts, lsh)
    finally:
        if own:
            spark.stop()


def _clean(spark, sc, inputs, out, output_format, report, force, partitions, options, traffic, lsh):
    from pyspark import StorageLevel
    from pyspark.sql.functions import col

    for k in ("units", "unit_bytes", "signatures", "signature_bytes", "candidates", "candidate_bytes", "again", "again_bytes", "documents", "document_bytes", "read_by_driver", "read_by_driver_bytes"):
        traffic[k] = 0

    # Executors analyze one input at a time on one thread each (Spark runs
    # one task per core).
    unit_opts = dict(options)
    unit_opts.setdefault("jobs", 1)
    if "-" in inputs:
        raise ValueError("the Spark job cannot read standard input (-): name files, folders or URIs")
    local = [p for p in inputs if not _is_remote(p)]
    remote = [p for p in inputs if _is_remote(p)]
    # 1. list. The output is taken before anything is read (safety
    # checks, lock); inputs are numbered by display path, as canon does.
    job = _canon.CleanJob(local, out, output_format, report, force, options or None)
    listed, errors = _canon.list_inputs(local, None if out == "-" else out, options or None) if local else ([], [])
    items: List[Tuple[str, str, Optional[str]]] = [(d, k, p) for d, k, p, _ in listed if k != "stdin"]
    files, remote_listing, skipped, remote_errors = (
        _remote_files(spark, remote, options.get("hidden", True)) if remote else (None, [], [], [])
    )
    # (By path, as canon sorts them.)
    errors = sorted(errors + remote_errors, key=lambda m: m.split(": ", 1)[0].encode("utf-8"))
    items += [(d, "uri", u) for d, u in remote_listing]
    items.sort(key=lambda it: it[0].encode("utf-8"))
    # (Each display once: a local root and a URI, or two URIs no number of
    # components tells apart, as canon clean names such inputs.)
    items = [(d, k, p) for d, (_, k, p) in zip(_canon.unique_names([d for d, _, _ in items]), items)]
    # The files Spark's sources skip, read by the driver (kept for step 5).
    on_driver = {u: _read_on_driver(spark, u) for u in skipped}
    traffic["read_by_driver"] = len(on_driver)
    traffic["read_by_driver_bytes"] = sum(len(b) for b in on_driver.values())
    slices = partitions or sc.defaultParallelism
    indexed = [(i, d, k, p) for i, (d, k, p) in enumerate(items)]
    fmt = output_format

    # 2. analyze: per input, its units' results as bytes; 3. LSH (below).
    if files is not None:
        by_uri = {p: (i, d) for i, d, k, p in indexed if k == "uri"}
        remote_rdd = (
            files.select("path", "content").rdd.filter(lambda r, m=by_uri: r.path in m)
            .map(lambda r, m=by_uri: (m[r.path][0], m[r.path][1], "memory", None, bytes(r.content)))
        )
    else:
        remote_rdd = None
    # (Local inputs are read by the executors from their paths; the files
    # Spark skips travel from the driver.)
    local_rows = [(i, d, k, p, None) for i, d, k, p in indexed if k != "uri"]
    local_rows += [(i, d, "memory", None, on_driver[p]) for i, d, k, p in indexed if k == "uri" and p in on_driver]
    rdd = sc.parallelize(local_rows, max(1, min(slices, len(local_rows) or 1)))
    if remote_rdd is not None:
        rdd = rdd.union(remote_rdd)

    def analyze(row):
        i, d, k, p, data = row
        units, sigs = _canon.analyze_input_apart(i, d, k, p, data, unit_opts, fmt)
        return units, [(key, (None if at is None else (i, *at), sig)) for key, sig, at in sigs]

    # Computed in parallel and kept by the executors. The signatures are
    # reduced by key there (a text held by many copies, in one input or
    # many, sends one, with the place of its first copy in the run), and
    # the LSH pairs found and verified; then the signatures, the verified
    # pairs and the units are streamed to the driver a partition at a time.
    n = max(1, slices)
    threshold = job.threshold
    analyzed = rdd.map(analyze).persist(StorageLevel.MEMORY_AND_DISK)
    signatures = None
    found = []

    def again(members: bytes) -> List[bytes]:
        """The second clustering's LSH pairs (see ``CleanJob.plan``), found
        like the first's: its texts' new places, joined with their
        signatures where the executors keep them."""
        traffic["again"] = len(members) // _MEMBER
        traffic["again_bytes"] = len(members)
        places = sc.parallelize(_slices(members, n), n).flatMap(_members)
        second = signatures.join(places, n).map(lambda kv: (kv[0], (kv[1][1], kv[1][0][1])))
        pairs = []
        for c in _computed(_candidates(second, threshold, n)):
            traffic["candidates"] += 1
            traffic["candidate_bytes"] += len(c)
            pairs.append(c)
        return pairs

    try:
        analyzed.count()
        signatures = analyzed.flatMap(lambda r: r[1]).reduceByKey(_earliest, n, _key_partition)
        signatures = signatures.persist(StorageLevel.MEMORY_AND_DISK)
        signatures.count()
        for key, (_place, sig) in signatures.toLocalIterator():
            traffic["signatures"] += 1
            traffic["signature_bytes"] += len(key) + len(sig)
            job.add_signature(key, sig)
        if lsh == "driver":
            # (Kept by the executors only for their LSH.)
            signatures.unpersist()
        else:
            for c in _computed(_candidates(signatures, threshold, n)):
                traffic["candidates"] += 1
                traffic["candidate_bytes"] += len(c)
                found.append(c)
        for _unit, blob in analyzed.flatMap(lambda r: r[0]).toLocalIterator():
            traffic["units"] += 1
            traffic["unit_bytes"] += len(blob)
            job.add(blob, signatures_apart=True)
        analyzed.unpersist()
        # 4. plan, on the driver, in run order (with the executors' LSH, a
        # second clustering's, when copies were joined to their rests, on
        # the executors again).
        if lsh == "executors":
            planned = job.plan([], errors, candidates=found, again=again)
        else:
            planned = job.plan([], errors)
    finally:
        analyzed.unpersist()
        if signatures is not None:
            signatures.unpersist()
    needs = dict(planned.needs())
    votes = sc.broadcast(planned.backbone_votes)
    rules = planned.rules
    # 5. render: inputs holding wanted copies, read again.
    wanted_rows = [(i, d, k, p, needs[i]) for i, d, k, p in indexed if i in needs]
    if files is not None:
        wanted_uris = {p: (i, d, needs[i]) for i, d, k, p in indexed if k == "uri" and i in needs}
        again = (
            # (binaryFile reads no content of a file the path filter drops.)
            files.where(col("path").isin(list(wanted_uris))).select("path", "content").rdd
            .map(lambda r, m=wanted_uris: (m[r.path][0], m[r.path][1], "memory", None, m[r.path][2], bytes(r.content)))
        )
    else:
        again = None
    local_wanted = [(i, d, k, p, w, None) for i, d, k, p, w in wanted_rows if k != "uri"]
    local_wanted += [(i, d, "memory", None, w, on_driver[p]) for i, d, k, p, w in wanted_rows if k == "uri" and p in on_driver]
    render_rdd = sc.parallelize(local_wanted, max(1, min(slices, len(local_wanted) or 1)))
    if again is not None:
        render_rdd = render_rdd.union(again)

    def render(row):
        i, d, k, p, w, data = row
        return _canon.render_input(d, k, w, p, data, unit_opts, fmt)

    # 6. vote, after a shuffle by document.
    def merge(item):
        doc, parts = item
        text, stats = _canon.vote(doc, votes.value[doc], list(parts), rules)
        return doc, text, stats

    docs = render_rdd.flatMap(render).groupByKey(max(1, slices)).map(merge)
    # 7. write, streamed to the driver one partition at a time.
    for _doc, text, stats in _computed(docs):
        traffic["documents"] += 1
        traffic["document_bytes"] += len(text.encode("utf-8")) + len(stats)
        planned.put(text, stats)
    text, _errors = planned.finish()
    return json.loads(text)


def _options(args: argparse.Namespace) -> Dict[str, Any]:
    opts: Dict[str, Any] = {}
    for key in ("threshold", "profile", "text_field", "id_field", "input_format", "max_file_size", "encoding", "encoding_hint"):
        v = getattr(args, key)
        if v is not None:
            opts[key] = v
    if args.no_hidden:
        opts["hidden"] = False
    if args.include:
        opts["include"] = args.include
    if args.exclude:
        opts["exclude"] = args.exclude
    return opts


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m canon.spark",
        description="canon clean on Apache Spark: the same documents and report as `canon clean`.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("clean", help="one canonical text per document, and the report")
    c.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders, or URIs Spark reads (hdfs://, s3a://, file://)")
    c.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder (txt) or file (jsonl, parquet)")
    c.add_argument("--master", metavar="URL", help="Spark master (default: spark-submit's, or local[*])")
    c.add_argument("--output-format", choices=["txt", "jsonl", "parquet"], default="txt")
    c.add_argument("--report", metavar="FILE")
    c.add_argument("--force", action="store_true")
    c.add_argument("--partitions", type=int, metavar="N", help="slices of the inputs (default: Spark's parallelism)")
    c.add_argument(
        "--lsh", choices=["driver", "executors"], default="driver",
        help="where near-duplicate candidates are found (default: driver)",
    )
    c.add_argument("--threshold", type=float)
    c.add_argument("--profile", choices=["zh", "generic"])
    c.add_argument("--text-field")
    c.add_argument("--id-field")
    c.add_argument("--input-format", choices=["auto", "text", "jsonl", "parquet"])
    c.add_argument("--max-file-size", type=int)
    c.add_argument("--encoding")
    c.add_argument("--encoding-hint")
    c.add_argument("--no-hidden", action="store_true")
    c.add_argument("--include", action="append")
    c.add_argument("--exclude", action="append")
    c.add_argument("--quiet", "-q", action="store_true")
    args = parser.parse_args(argv)
    start = time.monotonic()
    traffic: Dict[str, int] = {}
    try:
        rep = clean(
            args.inputs,
            args.out,
            master=args.master,
            output_format=args.output_format,
            report=args.report,
            force=args.force,
            partitions=args.partitions,
            traffic=traffic,
            lsh=args.lsh,
            **_options(args),
        )
    except (_canon.CanonError, ValueError) as e:
        print(f"canon: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        t = rep["totals"]
        print(
            f"canon (spark): {t.get('files')} files, {len(rep['documents'])} documents in {time.monotonic() - start:.1f} s; "
            f"to the driver: {traffic['units']} analyses ({traffic['unit_bytes'] / 1e6:.1f} MB), "
            f"{traffic['signatures']} signatures ({traffic['signature_bytes'] / 1e6:.1f} MB)"
            + (
                f", {traffic['candidates']} verified pairs ({traffic['candidate_bytes'] / 1e6:.1f} MB)"
                if args.lsh == "executors" else "; LSH on the driver"
            )
            + (f"; clustered twice ({traffic['again']} texts sent back)" if traffic["again"] else "")
            + (
                f"; {traffic['read_by_driver']} files Spark's listing skips read by the driver "
                f"({traffic['read_by_driver_bytes'] / 1e6:.1f} MB)"
                if traffic["read_by_driver"] else ""
            ),
            file=sys.stderr,
        )
    bad = [f for f in rep["files"] if f.get("status") == "unreadable"]
    return 2 if bad or rep["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
