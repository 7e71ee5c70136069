"""canon: raw scraped text archives in, one clean canonical copy of each
document out — the Rust library's stages for Python.

The convenience API::

    import canon
    canon.normalize("第一条,内容。")            # '第一条，内容。'
    report = canon.clean(["scrapes/"], "out/")   # the report, as a dict

The stages (what ``python -m canon.spark`` runs on a cluster):
:func:`analyze` (one input's units: encodings, copies, keys, signatures),
:class:`CleanJob` / :class:`Planned` (the run planned from every unit's
result, the documents put into the output), :func:`analyze_input` (or
:func:`analyze_input_apart`: the MinHash signatures apart, one per distinct
text), :func:`band_keys`, :func:`bucket_pairs` and :func:`candidate` (the
LSH pairs, found and verified where the signatures are),
:func:`components` and :func:`cluster_part` (a clustering split into the
parts that cluster apart, each clustered where its copies are),
:func:`chrome_votes` and :func:`is_chrome` (the archive chrome's
statistics, reduced where the units are, and its decision),
:func:`render_input` and :func:`vote` (the per-unit and per-document work,
exchanging bytes).

Options are keyword arguments named after ``canon clean``'s long flags
(``threshold=0.9``, ``profile="generic"``, ``text_field="content"``, ...);
an unknown one is a ``ValueError``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Union

from . import _canon
from ._canon import (  # noqa: F401  (re-exported stages)
    CanonError,
    CleanJob,
    Planned,
    analyze_input,
    analyze_input_apart,
    band_keys,
    bucket_pairs,
    candidate,
    chrome_votes,
    cluster_part,
    components,
    is_chrome,
    list_inputs,
    render_input,
    root_display,
    root_displays,
    vote,
)

__version__ = _canon.__version__

PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "CanonError",
    "CleanJob",
    "Planned",
    "analyze",
    "analyze_input",
    "analyze_input_apart",
    "band_keys",
    "bucket_pairs",
    "candidate",
    "chrome_votes",
    "clean",
    "cluster_part",
    "components",
    "is_chrome",
    "list_inputs",
    "normalize",
    "render_input",
    "root_display",
    "root_displays",
    "rules",
    "vote",
]


def normalize(text: str, **options: Any) -> str:
    """``text`` in canonical form: mojibake repaired, punctuation, width and
    whitespace normalized (GB/T 15834 for ``profile="zh"``, the default;
    ``profile="generic"`` for any language).

    >>> normalize("第一条,内容。")
    '第一条，内容。\\n'
    """
    return _canon.normalize(text, options or None)


def clean(
    paths: Union[PathLike, Iterable[PathLike]],
    out: PathLike,
    *,
    output_format: str = "txt",
    report: Optional[PathLike] = None,
    force: bool = False,
    **options: Any,
) -> Dict[str, Any]:
    """``canon clean PATHS --out OUT``: one canonical text per document in
    ``out`` (a folder for ``txt``, a file for ``jsonl`` or ``parquet``) and
    the report, returned as a dict (its ``"errors"`` hold the inputs that
    could not be listed; unreadable files are in ``"files"``).

    Raises :class:`CanonError` when the run cannot be done (an output canon
    did not write, an output that is an input, ...).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    text, _errors = _canon.clean(
        [os.fspath(p) for p in paths],
        os.fspath(out),
        output_format,
        None if report is None else os.fspath(report),
        force,
        options or None,
    )
    return json.loads(text)


def analyze(data: Union[bytes, PathLike], path: Optional[str] = None, **options: Any) -> List[Dict[str, Any]]:
    """One input's units analyzed (decode → normalize → fold → segment →
    fingerprint), as dicts: ``status``, ``encoding``, ``rules`` (lines
    changed per rule), ``segments`` and ``copies`` (line and byte ranges,
    group, completeness, blake3 ``key``, ``weight``, MinHash ``signature``).

    ``data`` is the input's bytes (then ``path`` names it: its extension
    tells JSONL, Parquet and archives apart) or a path to read.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        p = os.fspath(data)
        with open(p, "rb") as f:
            data = f.read()
        path = path or os.path.basename(p)
    return json.loads(_canon.analyze(path or "<bytes>", bytes(data), options or None))


def rules() -> List[Dict[str, str]]:
    """The normalization rules, in table order: ``name`` and ``summary``."""
    return [{"name": n, "summary": s} for n, s in _canon.rules()]
