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
   anyway; with ``--lsh executors`` on the executors, for each clustering
   the plan asks for): each distinct text's 64 band keys, grouped by band
   key; each bucket's compared pairs (members in run order, each with the
   8 before it), each pair kept once (where it is first compared), joined
   with its two signatures and verified; the pairs that are one document
   travel to the driver (about 80 bytes each) — up to ``--driver-pairs``
   of them.
4. **plan** (driver): clustering (the verified pairs replayed in the order
   ``canon clean`` visits them, so the order they arrive in never
   matters), archive chrome, truncation and backbones, over every unit's
   result in run order — the run-level half of ``canon clean``, so the
   documents never depend on how inputs were partitioned. With the LSH on
   the executors the plan sends them its copies' keys (56 bytes each) for
   each clustering (a second one when copies were joined to their rests:
   a retried scrape, cut copies then the whole text). Past
   ``--driver-pairs`` verified pairs, the clustering itself runs there:
   copies linked (one text, one in-file group, the copy right before,
   each pair's two texts), components by large-star/small-star, each
   component clustered apart by the library's rules (which weigh only
   linked copies, in run order: the same documents), 8 bytes per copy
   back to the driver. With the chrome on the executors (``--chrome
   executors``, the default with ``--lsh executors``) the plan asks them
   for the archive chrome once its copies are clustered: each copy's
   document (8 bytes) broadcast, each kept unit's votes (its copies'
   distinct edge lines per document) summed by document and line, then by
   line, decided there; the chrome lines' keys come back.
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
    """The LSH pairs that are one document, as ``(earlier key, later key,
    candidate bytes for CleanJob.plan)``: ``signatures`` is ``(key, (place,
    signature))`` per distinct text. Keys are joined on as integers (hashed
    the same on every worker)."""
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
        return [(e, l, c)] if c is not None else []

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


#: Bytes per copy ``CleanJob.plan`` hands its ``cluster``: key, file,
#: group, the copy right before it (``2**64 - 1``: none).
_COPY = 56
_NONE = 2**64 - 1

#: Verified LSH pairs a clustering sends its driver at most (about 80
#: bytes each, and the driver's union-find over them): past this, the
#: executors find the components (large-star/small-star) and cluster
#: each apart, and the driver gets 8 bytes per copy.
DRIVER_PAIRS = 20_000_000


def _copy_slices(blob: bytes, n: int) -> List[Tuple[int, bytes]]:
    """``blob`` of ``_COPY``-byte records in at most ``n`` slices, each
    with the index of its first copy."""
    count = len(blob) // _COPY
    per = max(1, -(-count // max(1, n)))
    return [(k, blob[k * _COPY:(k + per) * _COPY]) for k in range(0, count, per)]


def _copies(item):
    """A slice's copies as ``(index, (key, file, group, before, record))``
    (``before``: the index of the copy right before it, or ``None``)."""
    first, chunk = item
    out = []
    for o in range(0, len(chunk), _COPY):
        file, group, before = (int.from_bytes(chunk[o + 32 + 8 * k:o + 40 + 8 * k], "little") for k in range(3))
        out.append((first + o // _COPY, (chunk[o:o + 32], file, group, None if before == _NONE else before, chunk[o:o + _COPY])))
    return out


def _as_int(key: bytes) -> int:
    return int.from_bytes(key, "little")


def _large_star(item):
    node, linked = item
    linked = set(linked)
    least = min(node, min(linked))
    return [(v, least) for v in linked if v > node]


def _small_star(item):
    node, linked = item
    linked = set(linked)
    linked.add(node)
    least = min(linked)
    return [(v, least) for v in linked if v != least]


def _local_stars(edges):
    """A partition's edges as stars: each node linked to the least node it
    reaches through the partition's edges (the same components, in fewer
    edges; the rounds then only join what partitions share)."""
    parent: Dict[int, int] = {}

    def find(v):
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [(v, find(v)) for v in list(parent) if find(v) != v]


def _components(edges, n: int, rounds: Optional[List[int]] = None):
    """Each node of ``edges`` (an RDD of pairs of ints) with the least node
    of its connected component, by large-star/small-star (Kiveris et al.,
    "Connected Components in MapReduce and Beyond", SoCC 2014): each round
    links every node's larger neighbours to the least node it sees, then
    every node and its smaller neighbours to their least; the edges are
    shuffled by node, never gathered anywhere (each partition's edges are
    first made stars of their own: :func:`_local_stars`). The rounds stop once the
    edges form stars (each node linked to one node that links nowhere):
    their centres are then the least nodes of their components. ``rounds``,
    if given, gets the number of rounds."""
    from pyspark import StorageLevel

    def both_ways(e):
        return [e, (e[1], e[0])]

    def down(e):
        return (e[0], e[1]) if e[0] > e[1] else (e[1], e[0])

    current = edges.mapPartitions(_local_stars).distinct(n)
    current = current.persist(StorageLevel.MEMORY_AND_DISK)
    done, count = False, 0
    while not done:
        count += 1
        large = current.flatMap(both_ways).groupByKey(n).flatMap(_large_star)
        small = large.map(down).groupByKey(n).flatMap(_small_star).distinct(n)
        small = small.persist(StorageLevel.MEMORY_AND_DISK)
        # (Stars: no node with two links, no linked node linking on.)
        done = (
            small.flatMap(lambda e: [(e[0], (1, 0)), (e[1], (0, 1))])
            .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1]), n)
            .filter(lambda kv: kv[1][0] > 1 or (kv[1][0] and kv[1][1]))
            .isEmpty()
        )
        current.unpersist()
        current = small
    if rounds is not None:
        rounds.append(count)
    centres = current.map(lambda e: (e[1], e[1])).distinct(n)
    return current.union(centres)


def _clusterer(sc, signatures, threshold: float, n: int, driver_pairs: int, traffic: Dict[str, int]):
    """The ``cluster`` a ``CleanJob.plan`` asks for each clustering of the
    run (see its doc), on the executors: given the copies' keys, the LSH
    pairs of their texts are found there (``signatures``: ``(key, (place,
    signature))`` per distinct text, kept by the executors); at most
    ``driver_pairs`` of them travel to the driver, which clusters them;
    past that, the executors link copies of one key, of one in-file group,
    each to the copy right before it and the two texts of each pair, find
    the components (:func:`_components`), and cluster each apart
    (``cluster_part``); the driver gets each copy's document (8 bytes)."""
    from pyspark import StorageLevel

    by_int = signatures.map(lambda kv: (_as_int(kv[0]), (kv[0], kv[1][1])))

    def cluster(blob: bytes):
        traffic["clusterings"] += 1
        traffic["copy_keys"] += len(blob) // _COPY
        traffic["copy_key_bytes"] += len(blob)
        count = len(blob) // _COPY
        copies = sc.parallelize(_copy_slices(blob, n), n).flatMap(_copies)
        copies = copies.persist(StorageLevel.MEMORY_AND_DISK)
        # Each text's first copy; its signature, placed there.
        keyed = copies.map(lambda c: (_as_int(c[1][0]), c[0]))
        firsts = keyed.reduceByKey(min, n).persist(StorageLevel.MEMORY_AND_DISK)
        members = firsts.join(by_int, n).map(lambda kv: (kv[1][1][0], ((kv[1][0],), kv[1][1][1])))
        pairs = _candidates(members, threshold, n).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            if 0 < driver_pairs and pairs.count() <= driver_pairs:
                found = []
                for _e, _l, c in _computed(pairs):
                    traffic["candidates"] += 1
                    traffic["candidate_bytes"] += len(c)
                    found.append(c)
                return found
            traffic["components_on_executors"] += 1
            # Links: to the first copy of its text, to the first copy of its
            # in-file group, to the copy right before it, between the texts
            # of each pair.
            groups = copies.map(lambda c: ((c[1][1], c[1][2]), c[0]))
            to_first = keyed.join(firsts, n).values()
            to_group = groups.join(groups.reduceByKey(min, n), n).values()
            to_before = copies.filter(lambda c: c[1][3] is not None).map(lambda c: (c[0], c[1][3]))
            between = (
                pairs.map(lambda p: (_as_int(p[0]), _as_int(p[1])))
                .join(firsts, n).map(lambda kv: kv[1])
                .join(firsts, n).map(lambda kv: kv[1])
            )
            rounds: List[int] = []
            least = _components(to_first.union(to_group).union(to_before).union(between), n, rounds)
            traffic["star_rounds"] += rounds[0]
            # Each copy, each text's signature and each pair to its part.
            placed = copies.leftOuterJoin(least, n)
            alone = placed.filter(lambda kv: kv[1][1] is None).map(lambda kv: (kv[0], kv[0]))
            linked = placed.filter(lambda kv: kv[1][1] is not None)
            part_copies = linked.map(lambda kv: (kv[1][1], (kv[0], kv[1][0][4])))
            text_part = firsts.map(lambda kv: (kv[1], kv[0])).join(least, n).map(lambda kv: kv[1])
            part_sigs = text_part.join(by_int, n).map(lambda kv: (kv[1][0], kv[1][1]))
            part_pairs = pairs.map(lambda p: (_as_int(p[0]), p[2])).join(text_part, n).map(lambda kv: (kv[1][1], kv[1][0]))

            def clustered(item):
                _, tagged = item
                parts: Tuple[list, list, list] = ([], [], [])
                for tag, value in tagged:
                    parts[tag].append(value)
                return _canon.cluster_part(*parts, threshold)

            tagged = (
                part_copies.mapValues(lambda v: (0, v))
                .union(part_sigs.mapValues(lambda v: (1, v)))
                .union(part_pairs.mapValues(lambda v: (2, v)))
            )
            documents = tagged.groupByKey(n).flatMap(clustered).union(alone)
            out = bytearray(8 * count)
            for i, first in _computed(documents):
                out[8 * i:8 * i + 8] = first.to_bytes(8, "little")
                traffic["labels"] += 1
            traffic["label_bytes"] += len(out)
            return bytes(out)
        finally:
            pairs.unpersist()
            firsts.unpersist()
            copies.unpersist()

    return cluster


def _add4(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def _chrome_asker(sc, analyzed, n: int, traffic: Dict[str, int]):
    """The plan's ``chrome``: the archive chrome decided by a reduce over
    the units the executors kept (``analyzed``). Each unit votes
    (``_canon.chrome_votes``: per document, how many of its copies hold
    each edge line; the lines its own segmentation left as chrome), the
    votes are summed by ``(document, key)``, then by key with each
    document's size, and ``_canon.is_chrome`` decides; the chrome's keys
    reach the driver (8 bytes each). What travels out: 8 bytes per copy
    (its document), broadcast."""

    def ask(files, sizes):
        asks = sc.broadcast({origin: (bytes(docs), list(joined)) for origin, docs, joined in files})
        size = sc.broadcast(list(sizes))
        traffic["chrome_asks"] += 1
        traffic["chrome_asked_bytes"] += sum(len(docs) for _, docs, _ in files)
        try:
            def votes(item):
                _unit, blob = item
                held, own = _canon.chrome_votes(blob, asks.value)
                # (Document -1: a unit's own chrome, counted per unit.)
                return [((d, k), c) for d, k, c in held] + [((-1, k), 1) for k in own]

            def stats(item):
                (d, k), c = item
                return (k, (0, 0, 0, c) if d < 0 else (1, c, size.value[d], 0))

            keys = (
                analyzed.flatMap(lambda r: r[0]).flatMap(votes).reduceByKey(lambda a, b: a + b, n)
                .map(stats).reduceByKey(_add4, n)
                .filter(lambda kv: _canon.is_chrome(*kv[1])).keys().collect()
            )
        finally:
            asks.unpersist()
            size.unpersist()
        traffic["chrome_lines"] += len(keys)
        return keys

    return ask


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
    driver_pairs: Optional[int] = None,
    chrome: Optional[str] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Runs the job (see the module doc); returns the report as a dict.

    ``partitions`` slices the inputs (default: Spark's default parallelism);
    the result never depends on it. ``options`` are ``canon clean``'s
    (``threshold``, ``profile``, ``text_field``, ...). ``lsh`` says where
    the LSH runs: ``"driver"`` (the default: the driver holds every
    distinct text's signature for the plan anyway, and banding them there
    costs about a microsecond per text) or ``"executors"`` (band keys
    grouped, pairs verified there, for both clusterings; on one machine
    its shuffles cost seconds). With the LSH on the executors, a
    clustering whose verified pairs number at most ``driver_pairs``
    (default :data:`DRIVER_PAIRS`) sends them to the driver, which
    clusters them; past that, the components are found and clustered on
    the executors (large-star/small-star, then each part apart: 0 forces
    it), and the driver gets each copy's document. ``chrome`` says where
    the archive chrome is decided: ``"driver"`` (over the edges it holds)
    or ``"executors"`` (a reduce over the edge lines of the units they
    kept; see :func:`_chrome_asker`); by default where the LSH runs.

    ``traffic``, if given, is filled with what reached the driver:
    ``units`` and ``unit_bytes`` (analyses without signatures),
    ``signatures`` and ``signature_bytes`` (one per distinct text),
    ``candidates`` and ``candidate_bytes`` (verified LSH pairs, of both
    clusterings, when sent to the driver), ``labels`` and ``label_bytes``
    (each copy's document, when the executors clustered),
    ``documents`` and ``document_bytes`` (voted texts and stats),
    ``read_by_driver`` and ``read_by_driver_bytes`` (files Spark's listing
    skips); what it sent out: ``copy_keys`` and ``copy_key_bytes`` (the
    copies' keys, 56 bytes each, once per clustering asked of the
    executors); and ``clusterings`` (asked of the executors: 2 when copies
    were joined to their rests), ``components_on_executors`` (of those,
    clustered there) and ``star_rounds`` (their large-star/small-star
    rounds); ``chrome_asks`` (1 when the executors decided the chrome),
    ``chrome_asked_bytes`` (each copy's document, sent out for it) and
    ``chrome_lines`` (the chrome's keys back).
    """
    if lsh not in ("driver", "executors"):
        raise ValueError(f"lsh must be 'driver' or 'executors', not {lsh!r}")
    chrome = chrome or lsh
    if chrome not in ("driver", "executors"):
        raise ValueError(f"chrome must be 'driver' or 'executors', not {chrome!r}")
    if driver_pairs is not None and driver_pairs < 0:
        raise ValueError(f"driver_pairs must be 0 or more, not {driver_pairs}")
    own = spark is None
    spark = spark or _session(master)
    sc = spark.sparkContext
    counts = traffic if traffic is not None else {}
    try:
        return _clean(
            spark, sc, list(inputs), out, output_format, report, force, partitions, options, counts, lsh,
            driver_pairs, chrome,
        )
    finally:
        if own:
            spark.stop()


#: What ``clean`` counts in its ``traffic``.
_TRAFFIC = (
    "units", "unit_bytes", "signatures", "signature_bytes", "candidates", "candidate_bytes",
    "clusterings", "copy_keys", "copy_key_bytes", "components_on_executors", "star_rounds", "labels",
    "label_bytes", "documents", "document_bytes", "read_by_driver", "read_by_driver_bytes",
    "chrome_asks", "chrome_asked_bytes", "chrome_lines",
)


def _clean(spark, sc, inputs, out, output_format, report, force, partitions, options, traffic, lsh, driver_pairs, chrome):
    from pyspark import StorageLevel
    from pyspark.sql.functions import col

    for k in _TRAFFIC:
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
        for _unit, blob in analyzed.flatMap(lambda r: r[0]).toLocalIterator():
            traffic["units"] += 1
            traffic["unit_bytes"] += len(blob)
            job.add(blob, signatures_apart=True)
        if chrome == "driver":
            # (Kept by the executors only for the chrome's reduce.)
            analyzed.unpersist()
        # 4. plan, on the driver, in run order; with the LSH on the
        # executors, each clustering (a second one when copies were joined
        # to their rests) asked of them; with the chrome there, its reduce.
        asks: Dict[str, Any] = {}
        if lsh == "executors":
            limit = DRIVER_PAIRS if driver_pairs is None else driver_pairs
            asks["cluster"] = _clusterer(sc, signatures, threshold, n, limit, traffic)
        if chrome == "executors":
            asks["chrome"] = _chrome_asker(sc, analyzed, n, traffic)
        planned = job.plan([], errors, **asks)
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
    c.add_argument(
        "--driver-pairs", type=int, metavar="N",
        help=f"with --lsh executors: past N verified pairs, components are found and clustered on the executors (default {DRIVER_PAIRS:,}; 0: always there)",
    )
    c.add_argument(
        "--chrome", choices=["driver", "executors"],
        help="where the archive chrome is decided (default: where the LSH runs)",
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
            driver_pairs=args.driver_pairs,
            chrome=args.chrome,
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
            + (
                f"; {traffic['components_on_executors']} of {traffic['clusterings']} clusterings on the executors "
                f"({traffic['star_rounds']} large-star/small-star rounds, {traffic['labels']} copies' documents back)"
                if traffic["components_on_executors"] else ""
            )
            + (
                f"; archive chrome decided on the executors ({traffic['chrome_lines']} lines)"
                if traffic["chrome_asks"] else ""
            )
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
