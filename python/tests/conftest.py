"""Fixtures: the repository, a local Spark session, generated archives."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tree_hashes(root: Path) -> dict:
    """Every file below ``root`` (a folder) or ``root`` itself: relative
    path → sha256."""
    root = Path(root)
    if root.is_file():
        return {root.name: hashlib.sha256(root.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def spark():
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("canon tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def archive40(tmp_path_factory) -> Path:
    """A generated 40 MB archive: in-file copies, mirrors across sites,
    truncation, UTF-8/GBK/UTF-16 files and files mixing encodings, glitches,
    retried scrapes (the generator's hard mode). ``CANON_ARCHIVE40`` names
    one made already."""
    given = os.environ.get("CANON_ARCHIVE40")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("gen") / "archive"
    subprocess.run(
        ["cargo", "run", "--quiet", "--example", "make_archive", "--", f"{out}/", "40", "7", "hard"],
        cwd=REPO,
        check=True,
    )
    return out
