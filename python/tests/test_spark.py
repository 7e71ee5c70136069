"""`python -m canon.spark clean` gives the documents and report `canon
clean` gives, for any number of partitions (local[2])."""

import json
import shutil
from pathlib import Path

import pytest

import canon
from conftest import tree_hashes

spark_mod = pytest.importorskip("canon.spark")


def both(inputs, tmp_path, spark, partitions, output_format="txt", traffic=None, lsh="driver", driver_pairs=None, chrome=None, **options):
    name = "out" + ("" if output_format == "txt" else "." + output_format)
    want = tmp_path / f"want-{partitions}" / name
    got = tmp_path / f"got-{partitions}" / name
    want.parent.mkdir()
    got.parent.mkdir()
    rep_want = canon.clean([str(i) for i in inputs], want, output_format=output_format, **options)
    rep_got = spark_mod.clean(
        [str(i) for i in inputs], str(got), spark=spark, partitions=partitions,
        output_format=output_format, traffic=traffic, lsh=lsh, driver_pairs=driver_pairs, chrome=chrome, **options,
    )
    return want, got, rep_want, rep_got


def keys_and_copies(report):
    """The distinct copy keys of a report, and how many copies."""
    copies = [c["key"] for f in report["files"] for c in f.get("copies", [])]
    return set(copies), len(copies)


#: Where the LSH runs, and past how many pairs the executors cluster (0:
#: always; they find the components by large-star/small-star); the
#: archive chrome is decided where the LSH runs, but for DRIVER_CHROME.
DRIVER, EXECUTORS, COMPONENTS = ("driver", None), ("executors", None), ("executors", 0)
DRIVER_CHROME = ("driver", None, "executors")


@pytest.mark.parametrize("partitions,where", [(1, DRIVER), (2, DRIVER), (7, DRIVER), (2, COMPONENTS)])
def test_samples(repo, tmp_path, spark, partitions, where):
    traffic = {}
    lsh, pairs = where
    want, got, rw, rg = both([repo / "samples"], tmp_path, spark, partitions, traffic=traffic, lsh=lsh, driver_pairs=pairs)
    assert tree_hashes(got) == tree_hashes(want)
    assert rg == rw
    # One signature per distinct text reached the driver (the seed file's
    # eight copies of one report sent one).
    keys, copies = keys_and_copies(rw)
    assert traffic["signatures"] == len(keys) < copies
    assert traffic["units"] == len(rw["files"])
    assert traffic["documents"] == len(rw["documents"])
    if pairs == 0:
        assert traffic["components_on_executors"] == traffic["clusterings"] == 1
        assert traffic["labels"] == traffic["copy_keys"] == copies
        assert traffic["chrome_asks"] == 1 and traffic["chrome_asked_bytes"] == 8 * copies


@pytest.mark.parametrize("partitions,where", [(1, DRIVER), (7, DRIVER_CHROME), (2, EXECUTORS), (7, COMPONENTS)])
def test_generated_archive(archive40, tmp_path, spark, partitions, where):
    size = sum(p.stat().st_size for p in Path(archive40).rglob("*") if p.is_file())
    assert size >= 40_000_000
    traffic = {}
    lsh, pairs, chrome = (where + (None,))[:3]
    want, got, rw, rg = both(
        [archive40], tmp_path, spark, partitions, traffic=traffic, lsh=lsh, driver_pairs=pairs, chrome=chrome,
    )
    hashes = tree_hashes(want)
    assert len(hashes) > 9
    assert tree_hashes(got) == hashes
    assert rg == rw
    # Mirrors in other files (other partitions) share their signatures
    # (a copy's whole continued into its rest has one too).
    keys, copies = keys_and_copies(rw)
    assert len(keys) <= traffic["signatures"] < copies
    if (chrome or lsh) == "executors":
        # The archive chrome (sites' headers and footers) reduced there:
        # each copy's document sent out, the chrome's keys back.
        assert traffic["chrome_asks"] == 1
        assert traffic["chrome_asked_bytes"] == 8 * copies
        assert traffic["chrome_lines"] > 0
    else:
        assert traffic["chrome_asks"] == 0
    if lsh == "driver":
        assert traffic["candidates"] == traffic["clusterings"] == 0
        return
    # Scrapes retried (cut copies, then the whole text) had their copies
    # joined to their rests: the run was clustered twice, each time by the
    # executors' LSH, with the copies' keys (56 bytes each) sent out.
    assert traffic["clusterings"] == 2
    # (The first clustering's copies: the report's and the rests joined.)
    assert 2 * copies < traffic["copy_keys"] < 3 * copies
    assert traffic["copy_key_bytes"] == 56 * traffic["copy_keys"]
    if pairs is None:
        # Near-duplicates found there reached the driver, each pair once.
        assert 0 < traffic["candidates"] < 2 * 64 * traffic["signatures"]
        assert traffic["labels"] == traffic["components_on_executors"] == 0
    else:
        # Clustered there, part by part: no pair reached the driver, each
        # copy's document did.
        assert traffic["candidates"] == 0
        assert traffic["components_on_executors"] == 2
        assert traffic["labels"] == traffic["copy_keys"]
        assert traffic["label_bytes"] == 8 * traffic["labels"]
        assert traffic["star_rounds"] >= 2


def graphs():
    """Graphs as (nodes, edges) that large-star/small-star must get right:
    long paths numbered against the grain (the most rounds), stars, cycles,
    a clique, isolated nodes, random sparse graphs."""
    import random

    rng = random.Random(2026)
    out = [(list(range(5)), [])]
    order = list(range(40))
    rng.shuffle(order)
    out.append((order, list(zip(order, order[1:]))))
    out.append((list(range(200)), [(199 - i, 198 - i) for i in range(199)]))
    out.append((list(range(50)), [(7, i) for i in range(50)] + [(i, 49) for i in range(10)]))
    out.append((list(range(30)), [(i, (i + 1) % 30) for i in range(30)]))
    out.append((list(range(12)), [(a, b) for a in range(12) for b in range(12) if a < b]))
    for n, m in ((500, 400), (1000, 2500)):
        nodes = rng.sample(range(10**12), n)
        out.append((nodes, [(rng.choice(nodes), rng.choice(nodes)) for _ in range(m)]))
    return out


def least_of_components(nodes, edges):
    """Each node with the least node of its component, by a walk from each
    node not reached yet, least first (so the walk's start is its least)."""
    linked = {v: set() for v in nodes}
    for a, b in edges:
        linked[a].add(b)
        linked[b].add(a)
    least = {}
    for start in sorted(nodes):
        if start in least:
            continue
        todo = [start]
        least[start] = start
        while todo:
            for w in linked[todo.pop()]:
                if w not in least:
                    least[w] = start
                    todo.append(w)
    return least


def test_large_star_small_star_finds_every_component(spark):
    sc = spark.sparkContext
    rounds_seen = []
    for k, (nodes, edges) in enumerate(graphs()):
        want = least_of_components(nodes, edges)
        # (Edges in one slice, in three, or one per slice: no slice's own
        # stars join anything, the rounds do it all.)
        ways = {1: [(3, 3), (len(edges), 3)], 7: [(3, 3), (1, 1)]}.get(k, [(3, 3)])
        for slices, n in ways:
            rounds = []
            got = dict(spark_mod._components(sc.parallelize(edges, slices), n, rounds).collect())
            # Every node of an edge (but a self-link's) with the least of
            # its component; the others are alone.
            linked = {v for e in edges if e[0] != e[1] for v in e}
            assert set(got) == linked
            assert {v: got.get(v, v) for v in nodes} == want
            rounds_seen.append(rounds[0])
    # (A path numbered against the grain, one edge per slice, takes
    # several rounds.)
    assert max(rounds_seen) >= 5


def records(repo):
    out = []
    for i, p in enumerate(sorted((repo / "tests" / "fixtures" / "corpus").glob("*.txt"))):
        text = p.read_text()
        out.append({"id": f"{p.stem}-a", "text": text, "url": f"https://a/{i}"})
        if i % 2 == 0:
            out.append({"id": f"{p.stem}-b", "text": text.replace("，", ","), "url": f"https://b/{i}"})
        if i % 3 == 0:
            out.append({"id": f"{p.stem}-cut", "text": text[: len(text) * 2 // 3], "url": f"https://c/{i}"})
    return out


@pytest.mark.parametrize("partitions,where", [(1, DRIVER), (2, COMPONENTS), (7, DRIVER)])
def test_jsonl_and_parquet_inputs(repo, tmp_path, spark, partitions, where):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    recs = records(repo)
    data = tmp_path / "data"
    data.mkdir()
    half = len(recs) // 2
    (data / "a.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs[:half]))
    pq.write_table(pa.Table.from_pylist(recs[half:]), data / "b.parquet")
    for fmt in ["txt", "jsonl"]:
        sub = tmp_path / fmt
        sub.mkdir()
        want, got, rw, rg = both([data], sub, spark, partitions, output_format=fmt, id_field="id", lsh=where[0], driver_pairs=where[1])
        assert tree_hashes(got) == tree_hashes(want)
        assert rg == rw
        if fmt == "jsonl":
            assert Path(f"{got}.report.json").read_bytes() == Path(f"{want}.report.json").read_bytes()


def test_uris_are_read_by_spark(repo, tmp_path, spark):
    data = tmp_path / "data"
    shutil.copytree(repo / "samples", data)
    want = tmp_path / "want"
    rw = canon.clean([str(data)], want)
    got = tmp_path / "got"
    rg = spark_mod.clean([data.as_uri()], str(got), spark=spark, partitions=3)
    assert tree_hashes(got) == tree_hashes(want)
    assert rg == rw


def test_uris_read_every_file_and_tell_roots_apart(repo, tmp_path, spark):
    """Spark's own listing skips names starting with `_` or `.` (its
    metadata and staging files); canon reads them like any other file (a
    scraped archive's hidden files are data). Two roots with the same last
    component are named as `canon clean` names them, by as many components
    as tell them apart."""
    corpus = sorted((repo / "tests" / "fixtures" / "corpus").glob("*.txt"))
    roots = [tmp_path / "a" / "crawl", tmp_path / "b" / "crawl"]
    for k, root in enumerate(roots):
        (root / "_staging").mkdir(parents=True)
        (root / ".cache").mkdir()
        (root / "page.txt").write_bytes(corpus[k].read_bytes())
        (root / ".hidden.txt").write_bytes(corpus[k + 2].read_bytes())
        (root / "_under.txt").write_bytes(corpus[k + 4].read_bytes())
        (root / "_staging" / "x.txt").write_bytes(corpus[k + 6].read_bytes())
        (root / ".cache" / "y.txt").write_bytes(corpus[(k + 1) % len(corpus)].read_bytes() * 2)
    want = tmp_path / "want"
    rw = canon.clean([str(r) for r in roots], want)
    got = tmp_path / "got"
    traffic = {}
    rg = spark_mod.clean([r.as_uri() for r in roots], str(got), spark=spark, partitions=2, traffic=traffic)
    assert traffic["read_by_driver"] == 8  # (per root: two files, two folders Spark skips)
    paths = [f["path"] for f in rw["files"]]
    assert "a/crawl/.cache/y.txt" in paths and "b/crawl/_staging/x.txt" in paths, paths
    assert [f["path"] for f in rg["files"]] == paths
    assert tree_hashes(got) == tree_hashes(want)
    assert rg == rw
    # `--no-hidden`: names starting with `.` below a root are not read, those
    # starting with `_` are.
    rw = canon.clean([str(r) for r in roots], tmp_path / "want-nh", hidden=False)
    rg = spark_mod.clean([r.as_uri() for r in roots], str(tmp_path / "got-nh"), spark=spark, hidden=False)
    assert [f["path"] for f in rg["files"]] == [f["path"] for f in rw["files"]]
    assert "b/crawl/_under.txt" in [f["path"] for f in rw["files"]]
    assert not any("/." in f["path"] for f in rw["files"])
    assert tree_hashes(tmp_path / "got-nh") == tree_hashes(tmp_path / "want-nh") and rg == rw
    # A root that is itself a hidden file, given on its own.
    one = tmp_path / "one"
    rw = canon.clean([str(roots[0] / ".hidden.txt")], one)
    rg = spark_mod.clean([(roots[0] / ".hidden.txt").as_uri()], str(tmp_path / "one-got"), spark=spark)
    assert tree_hashes(tmp_path / "one-got") == tree_hashes(one) and rg == rw
    assert len(rw["documents"]) == 1
    # Overlapping roots: each file read once, under the first display.
    nested = [roots[0].parent, roots[0], roots[0] / ".cache"]
    rw = canon.clean([str(r) for r in nested], tmp_path / "nested-want")
    rg = spark_mod.clean([r.as_uri() for r in nested], str(tmp_path / "nested-got"), spark=spark, partitions=3)
    assert len(rw["files"]) == 5 and rg == rw, [f["path"] for f in rg["files"]]
    assert tree_hashes(tmp_path / "nested-got") == tree_hashes(tmp_path / "nested-want")
    # A root that cannot be listed is an error of the run, not its end.
    rg = spark_mod.clean([(tmp_path / "nope").as_uri(), roots[0].as_uri()], str(tmp_path / "nope-got"), spark=spark)
    rw = canon.clean([str(roots[0])], tmp_path / "nope-want")
    assert [e["path"] for e in rg["errors"]] == ["nope"], rg["errors"]
    assert "No such file or directory" in rg["errors"][0]["message"]
    texts = lambda d: {k: v for k, v in tree_hashes(d).items() if k.endswith(".txt")}  # noqa: E731
    assert texts(tmp_path / "nope-got") == texts(tmp_path / "nope-want") != {}
    assert rg["documents"] == rw["documents"]


def test_the_output_is_taken_before_anything_is_read(repo, tmp_path, spark):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(canon.CanonError):
        spark_mod.clean([str(repo / "samples")], str(foreign / "notes.txt"), spark=spark)
    assert (foreign / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="standard input"):
        spark_mod.clean(["-"], str(tmp_path / "o"), spark=spark)
    with pytest.raises(ValueError, match="lsh must be"):
        spark_mod.clean([str(repo / "samples")], str(tmp_path / "o"), spark=spark, lsh="gpu")
    with pytest.raises(ValueError, match="driver_pairs must be"):
        spark_mod.clean([str(repo / "samples")], str(tmp_path / "o"), spark=spark, lsh="executors", driver_pairs=-1)
    assert not (tmp_path / "o").exists()


def test_command_line(repo, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "canon.spark", "clean", str(repo / "samples"), "--out", str(out),
         "--master", "local[1]", "--partitions", "2", "--lsh", "executors", "--driver-pairs", "0", "-q"],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    want = tmp_path / "want"
    canon.clean([repo / "samples"], want)
    assert tree_hashes(out) == tree_hashes(want)
    bad = subprocess.run(
        [sys.executable, "-m", "canon.spark", "clean", str(repo / "samples"), "--out", str(out),
         "--master", "local[1]", "--threshold", "x"],
        capture_output=True, text=True,
    )
    assert bad.returncode == 2


def test_odd_inputs(repo, tmp_path, spark):
    """An empty folder; binary, empty and blank files, a link not followed
    and a gzip stream with bytes after it, beside real text."""
    import gzip
    import os

    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "e").mkdir()
    _, _, rw, rg = both([empty], tmp_path / "e", spark, 3)
    assert rg == rw and rw["documents"] == []
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "bin.dat").write_bytes(bytes(range(256)) * 12)
    (data / "empty.txt").write_bytes(b"")
    (data / "blank.txt").write_bytes(b"  \n\n\t\n")
    first = sorted((repo / "tests" / "fixtures" / "corpus").glob("*.txt"))[0]
    (data / "sub" / "a.txt").write_bytes(first.read_bytes())
    (data / "sub" / "b.txt.gz").write_bytes(gzip.compress(first.read_bytes()) + b"trailing junk")
    os.symlink(repo / "samples", data / "link")
    sub = tmp_path / "d"
    sub.mkdir()
    want, got, rw, rg = both([data], sub, spark, 3)
    assert tree_hashes(got) == tree_hashes(want)
    assert rg == rw
    statuses = {f["path"]: f["status"] for f in rw["files"]}
    assert statuses["data/bin.dat"] == "skipped"
