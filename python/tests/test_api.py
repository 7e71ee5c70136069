"""The Python API: the convenience functions and the stages, without Spark."""

import json
from pathlib import Path

import pytest

import canon
from conftest import tree_hashes


def render_and_finish(planned, listed):
    """The second half of a run in one process: the wanted copies rendered,
    each document voted and put, the run finished; its report's text."""
    parts = {}
    for i, wanted in planned.needs():
        display, kind, path, _ = listed[i]
        for doc, part in canon.render_input(display, kind, wanted, path):
            parts.setdefault(doc, []).append(part)
    for doc in sorted(parts):
        planned.put(*canon.vote(doc, planned.backbone_votes[doc], parts[doc], planned.rules))
    return planned.finish()[0]


def test_normalize_makes_canonical_text():
    assert canon.normalize("第一条,内容。") == "第一条，内容。\n"
    assert canon.normalize("ｄａｔａ ２０２４年") == "data 2024年\n"
    # The generic profile leaves Chinese punctuation rules out.
    assert canon.normalize("第一条,内容。", profile="generic") == "第一条,内容。\n"
    # Idempotent.
    once = canon.normalize("“引号”  和\u3000全角空格 , 逗号")
    assert canon.normalize(once) == once


def test_options_are_checked():
    with pytest.raises(ValueError, match="unknown option"):
        canon.normalize("x", treshold=0.5)
    with pytest.raises(ValueError, match="profile"):
        canon.normalize("x", profile="klingon")
    with pytest.raises(ValueError, match="encoding"):
        canon.normalize("x", encoding="no-such-encoding")
    with pytest.raises(ValueError, match="threshold"):
        canon.normalize("x", threshold="high")


def test_rules_lists_the_table():
    names = [r["name"] for r in canon.rules()]
    assert names[0] == "line-ends"
    assert len(names) == len(set(names)) > 20


def test_analyze_shows_copies_keys_and_signatures(repo):
    seed = next((repo / "samples").glob("*seed*"), None) or sorted((repo / "samples").iterdir())[0]
    units = canon.analyze(seed)
    assert len(units) == 1
    u = units[0]
    assert u["status"] == "text"
    assert u["copies"], u
    c = u["copies"][0]
    assert len(c["key"]) == 64 and c["weight"] > 0
    assert c["signature"] is None or len(c["signature"]) > 16
    # Bytes in, one unit per JSONL record.
    recs = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(["甲乙丙丁。\n" * 20, "戊己庚辛。\n" * 20]))
    units = canon.analyze(recs.encode(), "x.jsonl", id_field="id")
    assert [u["record_id"] for u in units] == ["0", "1"]
    assert all(u["path"].startswith("x.jsonl") for u in units)
    # Not text.
    assert canon.analyze(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "b.png")[0]["status"] == "skipped"


def test_clean_matches_the_cli_contract(repo, tmp_path):
    out = tmp_path / "out"
    report = canon.clean([repo / "samples"], out)
    assert report["tool"] == "canon"
    names = sorted(p.name for p in out.glob("*.txt"))
    assert (out / "report.json").is_file()
    assert names == sorted(d["output"] for d in report["documents"])
    # Every input byte accounted for.
    for f in report["files"]:
        assert sum(r["end"] - r["start"] for r in f["regions"]) == f["size"]
    # canon never writes over what it did not write.
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("not canon's")
    with pytest.raises(canon.CanonError):
        canon.clean([repo / "samples"], foreign / "mine.txt")
    with pytest.raises(canon.CanonError, match="input"):
        canon.clean([repo / "samples"], repo / "samples")


def test_the_stages_give_what_clean_gives(repo, tmp_path):
    """CleanJob → analyze_input → plan → render_input → vote → put →
    finish, in one process, in a scrambled order."""
    want = tmp_path / "want"
    canon.clean([repo / "samples"], want)
    out = tmp_path / "got"
    job = canon.CleanJob([str(repo / "samples")], str(out))
    listed, errors = canon.list_inputs([str(repo / "samples")], str(out))
    units = []
    for i, (display, kind, path, _size) in reversed(list(enumerate(listed))):
        units += [(i, u, b) for u, b in canon.analyze_input(i, display, kind, path)]
    # Results come in any order, some added one by one.
    for _, _, b in units[::2]:
        job.add(b)
    planned = job.plan([b for _, _, b in units[1::2]], errors)
    with pytest.raises(canon.CanonError, match="planned already"):
        job.plan([])
    parts = {}
    for i, wanted in reversed(planned.needs()):
        display, kind, path, _ = listed[i]
        for doc, part in canon.render_input(display, kind, wanted, path):
            parts.setdefault(doc, []).append(part)
    for doc in sorted(parts, reverse=True):
        text, stats = canon.vote(doc, planned.backbone_votes[doc], parts[doc][::-1], planned.rules)
        planned.put(text, stats)
    report = json.loads(planned.finish()[0])
    assert tree_hashes(out) == tree_hashes(want)
    assert report == json.loads((want / "report.json").read_text())


def test_signatures_apart_travel_once_per_text(repo, tmp_path):
    """analyze_input_apart → add(signatures_apart=True) / add_signature:
    each distinct text's signature once, the same run as clean's; a
    signature missing is an error, never a copy taken as too short."""
    want = tmp_path / "want"
    rep = canon.clean([repo / "samples"], want)
    out = tmp_path / "got"
    job = canon.CleanJob([str(repo / "samples")], str(out))
    listed, errors = canon.list_inputs([str(repo / "samples")], str(out))
    signatures = []
    for i, (display, kind, path, _size) in enumerate(listed):
        units, sigs = canon.analyze_input_apart(i, display, kind, path)
        for _, b in units:
            job.add(b, signatures_apart=True)
        # Each input sends a text's signature once (the seed file holds
        # one report eight times: one signature for them) ...
        assert len({k for k, _, _ in sigs}) == len(sigs)
        signatures += sigs
        # ... and another input holding the text sends it again.
        for key, s, _ in sigs:
            job.add_signature(key, s)
    keys = {c["key"] for f in rep["files"] for c in f.get("copies", [])}
    copies = sum(len(f.get("copies", [])) for f in rep["files"])
    assert {k.hex() for k, _, _ in signatures} == keys
    assert len(keys) < len(signatures) < copies
    planned = job.plan([], errors)
    assert json.loads(render_and_finish(planned, listed)) == rep
    assert tree_hashes(out) == tree_hashes(want)

    job = canon.CleanJob([str(repo / "samples")], str(tmp_path / "lost"))
    for i, (display, kind, path, _size) in enumerate(listed):
        units, sigs = canon.analyze_input_apart(i, display, kind, path)
        for _, b in units:
            job.add(b, signatures_apart=True)
        for key, s, _ in sigs[1:]:
            job.add_signature(key, s)
    with pytest.raises(ValueError, match="no signature arrived"):
        job.plan([], errors)
    with pytest.raises(ValueError, match="32 bytes"):
        canon.CleanJob([str(repo / "samples")], str(tmp_path / "k")).add_signature(b"short", b"")


def test_lsh_stages(repo, tmp_path):
    """band_keys → bucket_pairs → candidate, the LSH a cluster runs, and a
    plan given candidates that do not fit the run refuses them."""
    text = (repo / "tests" / "fixtures" / "corpus" / "hebei-2026.txt").read_text()
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text(text)
    lines = text.splitlines(keepends=True)
    (data / "b.txt").write_text("".join(lines[:20] + lines[22:]))
    listed, errors = canon.list_inputs([str(data)], None)
    sigs = {}
    for i, (display, kind, path, _size) in enumerate(listed):
        _units, got = canon.analyze_input_apart(i, display, kind, path)
        for key, sig, place in got:
            if place is not None:
                sigs.setdefault(key, ((i, *place), sig))
    keys = list(sigs)
    assert len(keys) >= 2
    bands = {k: canon.band_keys(s) for k, (_, s) in sigs.items()}
    assert all(len(b) == 64 for b in bands.values())
    assert canon.band_keys(canon.analyze_input_apart(0, "x", "memory", None, b"x\n")[1][0][1]) is None
    # A bucket's members in any order: each compared with the 8 before it.
    members = [((0, 0, n), bytes([n]) * 32) for n in range(10)]
    pairs = canon.bucket_pairs(members[::-1])
    assert len(pairs) == sum(min(k, 8) for k in range(10))
    assert pairs[0] == (bytes([0]) * 32, bytes([1]) * 32)
    assert all(e[0] < l[0] for e, l in pairs)
    # The two readings share band keys and verify as one document.
    (a, (pa, sa)), (b, (pb, sb)) = sorted(sigs.items(), key=lambda kv: kv[1][0])[:2]
    shared = [n for n in range(64) if bands[a][n] == bands[b][n]]
    assert shared
    c = canon.candidate(shared[0], bands[a][shared[0]], a, b, sa, sb, 0.8)
    assert c is not None
    other = (repo / "tests" / "fixtures" / "corpus" / "qinghai-2026.txt").read_bytes()
    ko, so, _ = canon.analyze_input_apart(9, "q.txt", "memory", None, other)[1][0]
    assert canon.candidate(0, 0, a, ko, sa, so, 0.8) is None
    job = canon.CleanJob([str(data)], str(tmp_path / "out"))
    assert job.threshold == 0.8
    for i, (display, kind, path, _size) in enumerate(listed):
        for _, u in canon.analyze_input(i, display, kind, path):
            job.add(u)
    # The pair in the wrong order does not fit the run.
    wrong = canon.candidate(shared[0], 0, b, a, sb, sa, 0.8)
    with pytest.raises(ValueError, match="does not fit"):
        job.plan([], errors, candidates=[wrong])
    with pytest.raises(ValueError):
        canon.CleanJob([str(data)], str(tmp_path / "o2")).plan([], errors, candidates=[b"junk"])
    job = canon.CleanJob([str(data)], str(tmp_path / "o3"))
    for i, (display, kind, path, _size) in enumerate(listed):
        for _, u in canon.analyze_input(i, display, kind, path):
            job.add(u)
    assert job.plan([], errors, candidates=[c]).documents == 1


def lsh(members, threshold, keyed=False):
    """The LSH a cluster runs, in one process: ``members`` maps each key to
    (place, signature); every compared pair that verifies, as candidates
    (with ``keyed``, as ``(earlier key, later key, candidate)``)."""
    buckets = {}
    for key, (place, sig) in members.items():
        for band, k in enumerate(canon.band_keys(sig) or ()):
            buckets.setdefault((band, k), []).append((place, key))
    out = []
    for (band, k), ms in buckets.items():
        for e, l in canon.bucket_pairs(ms):
            c = canon.candidate(band, k, e, l, members[e][1], members[l][1], threshold)
            if c is not None:
                out.append((e, l, c) if keyed else c)
    return out


def retried_scrapes(repo, tmp_path, chrome=False):
    """Two reports, each scraped with retries (cut copies, then the whole
    text), mirrored and re-punctuated: a run clustered twice (with
    ``chrome``, each page in one of two sites' header and footer, a visit
    count that varies). The folder, its listing and errors."""
    corpus = repo / "tests" / "fixtures" / "corpus"
    data = tmp_path / "data"
    data.mkdir()
    texts = [(corpus / n).read_text().rstrip() + "\n" for n in ("hebei-2026.txt", "yunnan-2026.txt")]
    for i, t in enumerate(texts):
        lines = t.splitlines(keepends=True)
        cut = "".join(lines[: len(lines) * (2 + i) // 7])
        pages = {"retried": cut + cut + t, "mirror": t, "other": t.replace("，", ",")}
        for j, (name, page) in enumerate(pages.items()):
            if chrome and j < 2:
                page = f"新华网首页 | 要闻 | 地方\n\n{page}\n版权所有 新华网 访问量 {1000 + 37 * j + i}\n"
            elif chrome:
                page = f"人民网 > 地方 > 政务\n{page}\n人民网版权所有 浏览次数 {17 * j + i}\n"
            (data / f"m{i}-{name}.txt").write_text(page)
    listed, errors = canon.list_inputs([str(data)], None)
    return data, listed, errors


def job_apart(data, out, listed):
    """A job over ``data`` given every unit with its signatures apart; the
    signatures by key, each with the place of its text's first copy
    (``None``: a whole continued into its rest, no place of its own)."""
    sigs = {}
    job = canon.CleanJob([str(data)], str(out))
    for i, (display, kind, path, _size) in enumerate(listed):
        units, got = canon.analyze_input_apart(i, display, kind, path)
        for _, b in units:
            job.add(b, signatures_apart=True)
        for key, sig, place in got:
            job.add_signature(key, sig)
            sigs.setdefault(key, (None if place is None else (i, *place), sig))
    return job, sigs


def copy_keys(blob):
    """The copies' keys ``plan`` hands its ``cluster``: (key, record)."""
    assert len(blob) % 56 == 0
    return [(blob[o:o + 32], blob[o:o + 56]) for o in range(0, len(blob), 56)]


def test_clusterings_split_into_parts_elsewhere(repo, tmp_path):
    """``plan(cluster=…)`` hands each clustering's copies out; what comes
    back — the LSH pairs, or each copy's document found part by part
    (``components``, ``cluster_part``, as a cluster's executors do) —
    gives the documents and report clean gives."""
    data, listed, errors = retried_scrapes(repo, tmp_path)
    rep = canon.clean([data], tmp_path / "want")
    for way in ("pairs", "parts"):
        job, sigs = job_apart(data, tmp_path / way, listed)
        asked = []

        def cluster(blob):
            copies = copy_keys(blob)
            members = {}
            for i, (key, _) in enumerate(copies):
                members.setdefault(key, ((i,), sigs[key][1]))
            keyed = lsh(members, job_threshold, keyed=True)
            pairs = [c for _, _, c in keyed]
            asked.append(len(copies))
            if way == "pairs":
                return pairs
            parts = canon.components(blob, pairs)
            assert parts[0] == 0 and all(p <= i for i, p in enumerate(parts))
            assert len(set(parts)) >= 2
            firsts = [None] * len(copies)
            for name in sorted(set(parts), reverse=True):
                mine = [i for i, p in enumerate(parts) if p == name]
                keys = {copies[i][0] for i in mine}
                own = [(k, sigs[k][1]) for k in keys]
                # (A pair's texts are in one part.)
                part_pairs = [c for e, _, c in keyed if e in keys]
                got = canon.cluster_part([(i, copies[i][1]) for i in reversed(mine)], own, part_pairs, job_threshold)
                assert [i for i, _ in got] == mine
                for i, first in got:
                    firsts[i] = first
            return b"".join(f.to_bytes(8, "little") for f in firsts)

        job_threshold = job.threshold
        planned = job.plan([], errors, cluster=cluster)
        # Copies joined to their rests: clustered twice, with fewer copies.
        assert len(asked) == 2 and asked[1] < asked[0]
        assert json.loads(render_and_finish(planned, listed)) == rep
        assert tree_hashes(tmp_path / way) == tree_hashes(tmp_path / "want")


def chrome_reduce(units, files, sizes):
    """What a cluster's executors answer ``plan(chrome=…)``: each unit's
    ``chrome_votes``, summed by (document, key), then by key with each
    document's size, decided by ``is_chrome``."""
    asks = {origin: (docs, joined) for origin, docs, joined in files}
    held, own = {}, {}
    for b in reversed(units):
        h, o = canon.chrome_votes(b, asks)
        for d, k, c in h:
            held[(d, k)] = held.get((d, k), 0) + c
        for k in o:
            own[k] = own.get(k, 0) + 1
    stats = {}
    for (d, k), c in held.items():
        s = stats.setdefault(k, [0, 0, 0])
        s[0] += 1
        s[1] += c
        s[2] += sizes[d]
    return [k for k, (docs, holding, copies) in stats.items() if canon.is_chrome(docs, holding, copies, own.get(k, 0))]


def test_archive_chrome_decided_elsewhere(repo, tmp_path):
    """``plan(chrome=…)`` hands each file's copies' documents out once
    they are clustered; the chrome reduced from the units' votes gives the
    documents and report clean gives — with the clustering here or asked
    too."""
    data, listed, errors = retried_scrapes(repo, tmp_path, chrome=True)
    rep = canon.clean([data], tmp_path / "want")
    units = [b for i, (d, k, p, _) in enumerate(listed) for _, b in canon.analyze_input_apart(i, d, k, p)[0]]
    for way in ("alone", "with cluster"):
        job, sigs = job_apart(data, tmp_path / way, listed)
        asked, threshold = [], job.threshold

        def chrome(files, sizes):
            keys = chrome_reduce(units, files, sizes)
            asked.append((files, sizes, keys))
            return keys

        def cluster(blob):
            members = {}
            for i, (key, _) in enumerate(copy_keys(blob)):
                members.setdefault(key, ((i,), sigs[key][1]))
            return lsh(members, threshold)

        more = {"cluster": cluster} if way == "with cluster" else {}
        planned = job.plan([], errors, chrome=chrome, **more)
        assert len(asked) == 1
        files, sizes, keys = asked[0]
        # Every text file, every copy's document (8 bytes each; a
        # fragment none), the retried scrapes' copies joined to their
        # rests; both sites' headers and footers are chrome.
        assert len(files) == len(listed) == 6
        documents = [int.from_bytes(docs[o:o + 8], "little") for _, docs, _ in files for o in range(0, len(docs), 8)]
        assert sorted(documents.count(d) for d in set(documents) if d < 2**64 - 1) == sorted(sizes)
        assert sum(len(joined) for _, _, joined in files) >= 1
        assert len(keys) == 4
        assert json.loads(render_and_finish(planned, listed)) == rep
        assert tree_hashes(tmp_path / way) == tree_hashes(tmp_path / "want")
    # No chrome decided: the headers and footers stay in the copies.
    job, _ = job_apart(data, tmp_path / "none", listed)
    planned = job.plan([], errors, chrome=lambda files, sizes: [])
    assert json.loads(render_and_finish(planned, listed)) != rep


def test_what_chrome_gives_back_must_fit(repo, tmp_path):
    data, listed, errors = retried_scrapes(repo, tmp_path, chrome=True)
    units = [b for i, (d, k, p, _) in enumerate(listed) for _, b in canon.analyze_input_apart(i, d, k, p)[0]]

    def plan(chrome, **more):
        job, _ = job_apart(data, tmp_path / f"o{len(list(tmp_path.iterdir()))}", listed)
        return job.plan([], errors, chrome=chrome, **more)

    def shifted(files, sizes):
        # (Each file's documents one copy short.)
        return chrome_reduce(units, [(o, docs[8:], joined) for o, docs, joined in files], sizes)

    with pytest.raises(ValueError, match="copies"):
        plan(shifted)
    with pytest.raises(ValueError, match="8 bytes"):
        canon.chrome_votes(units[0], {(0, 0): (b"\0" * 7, [])})
    with pytest.raises(ValueError, match="not both"):
        plan(lambda files, sizes: [], candidates=[])

    class Lost(Exception):
        pass

    def lost(files, sizes):
        raise Lost("an executor was lost")

    with pytest.raises(Lost, match="executor was lost"):
        plan(lost)
    assert canon.is_chrome(2, 4, 5, 0) and not canon.is_chrome(2, 5, 5, 0)
    assert canon.is_chrome(1, 1, 5, 2) and not canon.is_chrome(1, 1, 5, 1)


def test_what_cluster_gives_back_must_fit(repo, tmp_path):
    data, listed, errors = retried_scrapes(repo, tmp_path)

    def plan(cluster, **more):
        job, _ = job_apart(data, tmp_path / f"o{len(list(tmp_path.iterdir()))}", listed)
        return job.plan([], errors, cluster=cluster, **more)

    with pytest.raises(ValueError, match="do not fit"):
        plan(lambda blob: b"".join((len(blob) // 56 - 1 - i).to_bytes(8, "little") for i in range(len(blob) // 56)))
    with pytest.raises(ValueError, match="8 bytes"):
        plan(lambda blob: b"\0" * 7)
    with pytest.raises(ValueError, match="not both"):
        plan(lambda blob: [], candidates=[])
    # (A part's copy is one key, 56 bytes.)
    with pytest.raises(ValueError, match="56 bytes, not 112"):
        canon.cluster_part([(0, b"\0" * 112)], [], [], 0.8)

    class Lost(Exception):
        pass

    def lost(blob):
        raise Lost("an executor was lost")

    with pytest.raises(Lost, match="executor was lost"):
        plan(lost)


def test_a_second_clustering_finds_its_pairs_elsewhere(repo, tmp_path):
    """A retried scrape (cut copies, then the whole text) is clustered
    twice; ``plan(again=…)`` hands the second clustering's texts out and
    takes their pairs back: the same documents and report as clean."""
    data, listed, errors = retried_scrapes(repo, tmp_path)
    want = tmp_path / "want"
    rep = canon.clean([data], want)
    job, sigs = job_apart(data, tmp_path / "got", listed)
    first = lsh({k: v for k, v in sigs.items() if v[0] is not None}, job.threshold)
    asked = []

    def again(blob):
        assert len(blob) % 40 == 0
        members = {}
        for o in range(0, len(blob), 40):
            key, index = blob[o:o + 32], int.from_bytes(blob[o + 32:o + 40], "little")
            members[key] = ((index,), sigs[key][1])
        asked.append(members)
        return lsh(members, 0.8)

    planned = job.plan([], errors, candidates=first, again=again)
    assert len(asked) == 1 and len(asked[0]) >= 2
    # The rests joined to their copies are no members of the second
    # clustering.
    rests = [k for k, (place, _) in sigs.items() if place is not None and k not in asked[0]]
    assert rests and set(asked[0]) <= set(sigs)
    assert json.loads(render_and_finish(planned, listed)) == rep
    assert tree_hashes(tmp_path / "got") == tree_hashes(want)

    # What ``again`` gives back must fit the second clustering.
    job = canon.CleanJob([str(data)], str(tmp_path / "bad"))
    for i, (display, kind, path, _size) in enumerate(listed):
        for _, b in canon.analyze_input(i, display, kind, path):
            job.add(b)
    stale = canon.candidate(0, 0, rests[0], list(asked[0])[-1], sigs[rests[0]][1], sigs[list(asked[0])[-1]][1], 0.0)
    with pytest.raises(ValueError, match="does not fit"):
        job.plan([], errors, candidates=first, again=lambda blob: [stale])


def test_a_run_missing_a_document_publishes_nothing(repo, tmp_path):
    out = tmp_path / "got"
    job = canon.CleanJob([str(repo / "samples")], str(out))
    listed, errors = canon.list_inputs([str(repo / "samples")], str(out))
    units = [b for i, (d, k, p, _) in enumerate(listed) for _, b in canon.analyze_input(i, d, k, p)]
    planned = job.plan(units, errors)
    assert planned.documents >= 2
    rules = planned.rules
    with pytest.raises(canon.CanonError, match="never written"):
        planned.finish()
    assert not out.exists()
    with pytest.raises(canon.CanonError, match="finished already"):
        planned.finish()
    with pytest.raises(ValueError):
        canon.vote(0, 1, [b"not a part"], rules)


def test_an_input_changed_between_the_passes_is_an_error(repo, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(repo / "samples", data)
    out = tmp_path / "out"
    job = canon.CleanJob([str(data)], str(out))
    listed, errors = canon.list_inputs([str(data)], str(out))
    for i, (d, k, p, _) in enumerate(listed):
        for _, b in canon.analyze_input(i, d, k, p):
            job.add(b)
    planned = job.plan([], errors)
    i, wanted = planned.needs()[0]
    display, kind, path, _ = listed[i]
    text = open(path, encoding="utf-8", errors="replace").read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("的", "之"))
    with pytest.raises(canon.CanonError, match="changed"):
        canon.render_input(display, kind, wanted, path)
    # Bytes that are no unit's result, or another document's part.
    with pytest.raises(ValueError):
        canon.CleanJob([str(data)], str(tmp_path / "o2")).add(b"\x01\x02")
    with pytest.raises(canon.CanonError):
        planned.finish()
    assert not out.exists()
