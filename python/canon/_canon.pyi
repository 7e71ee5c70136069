"""Type stubs of canon's native module (the Rust library's stages)."""

from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__version__: str

class CanonError(Exception): ...

def normalize(text: str, options: Optional[Dict[str, Any]] = None) -> str: ...
def clean(
    paths: List[str],
    out: str,
    output_format: str = "txt",
    report: Optional[str] = None,
    force: bool = False,
    options: Optional[Dict[str, Any]] = None,
) -> Tuple[str, List[str]]: ...
def analyze(path: str, data: bytes, options: Optional[Dict[str, Any]] = None) -> str: ...
def list_inputs(
    paths: List[str], out: Optional[str] = None, options: Optional[Dict[str, Any]] = None
) -> Tuple[List[Tuple[str, str, Optional[str], int]], List[str]]: ...
def root_display(path: str) -> str: ...
def root_displays(roots: List[str]) -> List[str]: ...
def unique_names(displays: List[str]) -> List[str]: ...
def analyze_input(
    index: int,
    display: str,
    kind: str,
    path: Optional[str] = None,
    data: Optional[bytes] = None,
    options: Optional[Dict[str, Any]] = None,
    output_format: str = "txt",
) -> List[Tuple[int, bytes]]: ...
def analyze_input_apart(
    index: int,
    display: str,
    kind: str,
    path: Optional[str] = None,
    data: Optional[bytes] = None,
    options: Optional[Dict[str, Any]] = None,
    output_format: str = "txt",
) -> Tuple[List[Tuple[int, bytes]], List[Tuple[bytes, bytes, Optional[Tuple[int, int]]]]]: ...
def band_keys(signature: bytes) -> Optional[List[int]]: ...
def bucket_pairs(members: List[Tuple[Tuple[int, ...], bytes]]) -> List[Tuple[bytes, bytes]]: ...
def candidate(
    band: int,
    bucket: int,
    earlier: bytes,
    later: bytes,
    earlier_signature: bytes,
    later_signature: bytes,
    threshold: float,
) -> Optional[bytes]: ...
def components(copies: bytes, candidates: List[bytes]) -> List[int]: ...
def cluster_part(
    copies: List[Tuple[int, bytes]],
    signatures: List[Tuple[bytes, bytes]],
    candidates: List[bytes],
    threshold: float,
) -> List[Tuple[int, int]]: ...
def chrome_votes(
    unit: bytes,
    asks: Dict[Tuple[int, int], Tuple[bytes, List[int]]],
) -> Tuple[List[Tuple[int, int, int]], List[int]]: ...
def is_chrome(documents: int, holding: int, copies: int, files: int) -> bool: ...
def render_input(
    display: str,
    kind: str,
    wanted: bytes,
    path: Optional[str] = None,
    data: Optional[bytes] = None,
    options: Optional[Dict[str, Any]] = None,
    output_format: str = "txt",
) -> List[Tuple[int, bytes]]: ...
def vote(doc: int, backbone_votes: int, parts: List[bytes], rules: int) -> Tuple[str, bytes]: ...
def rules() -> List[Tuple[str, str]]: ...

class CleanJob:
    def __init__(
        self,
        paths: List[str],
        out: str,
        output_format: str = "txt",
        report: Optional[str] = None,
        force: bool = False,
        options: Optional[Dict[str, Any]] = None,
    ) -> None: ...
    def add(self, unit: bytes, signatures_apart: bool = False) -> None: ...
    threshold: float
    def add_signature(self, key: bytes, signature: bytes) -> None: ...
    def plan(
        self,
        units: List[bytes] = ...,
        errors: List[str] = ...,
        candidates: Optional[List[bytes]] = None,
        again: Optional[Callable[[bytes], List[bytes]]] = None,
        cluster: Optional[Callable[[bytes], Union[bytes, List[bytes]]]] = None,
        chrome: Optional[
            Callable[[List[Tuple[Tuple[int, int], bytes, List[int]]], List[int]], List[int]]
        ] = None,
    ) -> "Planned": ...

class Planned:
    documents: int
    names: List[str]
    rules: int
    backbone_votes: List[int]
    output_format: str
    def needs(self) -> List[Tuple[int, bytes]]: ...
    def put(self, text: str, stats: bytes) -> None: ...
    def finish(self) -> Tuple[str, List[str]]: ...
