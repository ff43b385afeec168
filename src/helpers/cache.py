"""The artifact cache: every expensive thing the book builds (a model, an SAE, a fine-tune).

An artifact is a folder named after a hash of everything that determines it. It is built in a
`.partial` folder that survives interruptions (a builder may keep checkpoints there and resume),
sealed with a manifest of file checksums, and renamed into place in one step. A folder whose
files no longer match its manifest is treated as corrupt and rebuilt, never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import platformdirs

CACHE_ENV = "WARNBOOK_CACHE"
MANIFEST = "manifest.json"
LOCKS = ".locks"


def cache_root() -> Path:
    """The cache folder: $WARNBOOK_CACHE, else the user's cache dir (honours XDG_CACHE_HOME).
    A rehearsal keeps its stand-ins' artifacts in a folder of their own, apart from real ones, and
    one at full size apart from both (the same names, other shapes)."""
    from helpers import rehearsal

    root = os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("warning-framing-book")
    folder = ("rehearsal-full" if rehearsal.full_size() else "rehearsal") if rehearsal.active() else ""
    path = Path(root).expanduser() / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def shown(path: Path | str) -> str:
    """A path as a page may print it: relative to the notebook's folder, or to the cache root
    (named as such), so that the book never shows the folders of the machine that built it; a
    path outside both is shortened to its last part."""
    path = Path(path).resolve()
    for base, prefix in ((cache_root().resolve(), "<cache>/"), (Path.cwd().resolve(), "")):
        if path.is_relative_to(base):
            return prefix + path.relative_to(base).as_posix()
    return ".../" + path.name


JSON_SCALARS = (str, int, float, bool, type(None))


def key_hash(key: dict) -> str:
    """A short stable hash of a key made of JSON values only (see check_key).

    Dict keys that are numbers become strings, as json writes them: a plan's snapshots
    ({0.5: 3, 1.0: 6}) hash as they always have."""
    check_key(key)
    blob = json.dumps(key, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def check_key(value, path: str = "key") -> None:
    """Raise TypeError, naming where, at anything in a cache key that JSON would not write exactly.
    Its repr would stand in for it: a function's holds an address that changes every run (the
    artifact is never found again), a tensor's is truncated (two different tensors share an artifact)."""
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, JSON_SCALARS):
                raise TypeError(f"cache key {path} has a {type(name).__name__} as a key ({name!r}): "
                                "use a string, or pass a digest instead (e.g. interventions.digest for a tensor)")
            check_key(item, f"{path}[{name!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_key(item, f"{path}[{i}]")
    elif not isinstance(value, JSON_SCALARS):
        raise TypeError(f"cache key {path} is a {type(value).__module__}.{type(value).__qualname__}, which JSON "
                        "writes only as its repr: pass a digest instead (e.g. interventions.digest for a tensor)")


def source_hash(*modules) -> str:
    """Hash of the source of the given modules (a package: all its files): a builder's code version."""
    digest = hashlib.sha256()
    for module in modules:
        path = Path(module.__file__)
        files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
        for file in files:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _checksums(folder: Path) -> dict[str, str]:
    sums = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            sums[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def is_intact(folder: Path) -> bool:
    """True when the folder has a manifest and every file matches its recorded checksum."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("files") == _checksums(folder)


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def artifact_name(kind: str, key: dict) -> str:
    """The folder name of the artifact `kind` with `key` (built or not)."""
    return f"{kind}-{key_hash({'kind': kind, **key})}"


def artifact(kind: str, key: dict, build: Callable[[Path], None]) -> Path:
    """Return the folder of the artifact `kind` with `key`, building it first if needed.

    `build(folder)` fills `folder`, which may already hold checkpoints from an interrupted
    earlier call: builders that take long should save progress there and resume from it.
    """
    name = artifact_name(kind, key)
    final = cache_root() / name
    with _locked(cache_root() / LOCKS / f"{name}.lock"):  # another process building it waits, then reads it
        if final.exists():
            if is_intact(final):
                return final
            print(f"cache: {name} is corrupt or incomplete; rebuilding it")
            shutil.rmtree(final)
        partial = cache_root() / f"{name}.partial"
        partial.mkdir(exist_ok=True)
        build(partial)
        manifest = {"kind": kind, "key": key, "files": _checksums(partial)}
        write_atomic(partial / MANIFEST, json.dumps(manifest, indent=1).encode())
        os.replace(partial, final)
    return final


@contextmanager
def _locked(path: Path):
    """An exclusive lock on `path` for the block: two notebooks (or test workers) that need the
    same artifact never build it into the same partial folder at once."""
    path.parent.mkdir(exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def list_artifacts() -> list[dict]:
    """Every sealed artifact with its kind, key and size in MB."""
    rows = []
    for folder in sorted(cache_root().iterdir()):
        if folder.is_dir() and (folder / MANIFEST).exists():
            manifest = json.loads((folder / MANIFEST).read_text())
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            rows.append({"name": folder.name, "kind": manifest["kind"], "key": manifest["key"],
                         "mb": round(size / 1e6, 2)})
    return rows


def clear_cache(kind: str | None = None) -> int:
    """Delete cached artifacts (all, or those of one kind); return how many folders went."""
    removed = 0
    for folder in cache_root().iterdir():
        if folder.is_dir() and folder.name != LOCKS and (kind is None or folder.name.startswith(f"{kind}-")):
            shutil.rmtree(folder)
            removed += 1
    return removed


if __name__ == "__main__":  # `python -m helpers.cache clear` (used by `make clean-cache`)
    import sys

    if sys.argv[1:2] == ["clear"]:
        print(f"removed {clear_cache()} artifacts from {cache_root()}")
    else:
        for row in list_artifacts():
            print(row["name"], row["mb"], "MB")
