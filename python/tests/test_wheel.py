"""A wheel built from python/ installs and imports in a fresh venv."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest


@pytest.mark.skipif(os.environ.get("CANON_SKIP_WHEEL") == "1", reason="CANON_SKIP_WHEEL=1")
def test_wheel_imports_in_a_fresh_venv(repo, tmp_path):
    dist = tmp_path / "dist"
    # (maturin's build hook runs the maturin beside this interpreter; the
    # build reuses python/target, so it costs a link, not a build.)
    build_env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(repo / "python")],
        check=True,
        env=build_env,
    )
    wheels = list(dist.glob("canon-*.whl"))
    assert len(wheels) == 1, wheels
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    py = env / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", str(wheels[0])], check=True)
    probe = "import canon; print(canon.normalize('甲,乙。'), end=''); print(canon.__version__)"
    out = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert out.startswith("甲，乙。\n")
