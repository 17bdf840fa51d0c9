"""The two sides of a comparison: ruleset directories or files, or git revisions, and a rule
book for each."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from bansos_rules._api import load_rules, ruleset_files
from bansos_rules._book import RuleBook
from bansos_rules._errors import RulesetError, path_of
from bansos_rules._io import UnreadableInput
from bansos_rules._manager import Plugins, load_plugins

DEFAULT_PATH = "rulesets"
"""The path inside a git revision compared when ``REV`` is given without ``:path``."""

_FROM_FILES = "--rulesets"  # the plugin name load_rules gives rulesets loaded from paths


class DiffSourceError(UnreadableInput):
    """OLD or NEW names neither a ruleset file or directory nor a git revision that has one."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the ruleset files to load and how to name them."""

    spec: str
    """As given on the command line."""
    label: str
    """How reports name the side: the path, or ``REV:path (commit)``."""
    paths: tuple[Path, ...]
    """The ruleset files to load."""
    commit: str | None = None
    """The full commit id, for a git revision."""
    shown: Mapping[str, str] = field(default_factory=dict)
    """Extracted file (as diagnostics show it) -> ``REV:path`` (for a git revision)."""


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:  # git is not installed
        raise DiffSourceError(f"cannot run git: {exc}") from exc


def repo_root(cwd: Path | None = None) -> Path | None:
    """The top of the git working tree containing ``cwd`` (default: the current directory)."""
    where = cwd or Path.cwd()
    found = _git(["rev-parse", "--show-toplevel"], where)
    if found.returncode != 0:
        return None
    return Path(found.stdout.decode().strip())


def default_new(cwd: Path | None = None) -> str:
    """The working tree's ``rulesets/``: at the top of the git repository, else in ``cwd``."""
    root = repo_root(cwd)
    base = root if root is not None else (cwd or Path.cwd())
    return str(base / DEFAULT_PATH)


@contextmanager
def open_side(spec: str, *, cwd: Path | None = None) -> Iterator[Side]:
    """The side named by ``spec``; a git revision is extracted to a temporary directory.

    ``spec`` is an existing file or directory (its ``*.yaml`` files), else a git revision of the
    repository containing ``cwd``: ``REV`` (its ``rulesets/``) or ``REV:path`` (a directory or
    file, relative to the top of the repository). The temporary directory is removed on exit.

    :raises DiffSourceError: when ``spec`` is neither, saying why.
    """
    where = cwd or Path.cwd()
    path = Path(spec) if Path(spec).is_absolute() else where / spec
    if path.exists():
        files = tuple(ruleset_files([path]))
        if not files:
            raise DiffSourceError(f"{spec}: no ruleset files (*.yaml, *.yml) in this directory")
        yield Side(spec, path_of(path), files)
        return
    with tempfile.TemporaryDirectory(prefix="bansos-rules-diff-") as tmp:
        yield _extract(spec, where, Path(tmp))


def _extract(spec: str, cwd: Path, tmp: Path) -> Side:
    root = repo_root(cwd)
    if root is None:
        raise DiffSourceError(
            f"{spec!r} is not a file or directory, and {path_of(cwd)} is not inside a git "
            "repository, so it cannot be a revision either"
        )
    rev, colon, inner = spec.partition(":")
    inner = inner.strip("/").removeprefix("./") if colon else DEFAULT_PATH
    if not rev:
        raise DiffSourceError(f"{spec!r}: no revision before ':' (write e.g. HEAD:{inner})")
    found = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], root
    )
    if found.returncode != 0:
        raise DiffSourceError(
            f"{spec!r} is neither a ruleset file or directory nor a git revision of {root} "
            f"(no commit named {rev!r}; a branch from a remote may need 'git fetch')"
        )
    commit = found.stdout.decode().strip()
    kind = _git(["cat-file", "-t", f"{commit}:{inner}"], root)
    if kind.returncode != 0:
        raise DiffSourceError(f"{spec!r}: revision {rev} ({commit[:12]}) has no {inner!r}")
    names: list[str]
    if kind.stdout.decode().strip() == "tree":
        listing = _git(["ls-tree", "-z", "--name-only", f"{commit}:{inner}"], root)
        names = sorted(
            f"{inner}/{n}"
            for n in listing.stdout.decode().split("\0")
            if n.endswith((".yaml", ".yml"))
        )
        if not names:
            raise DiffSourceError(f"{spec!r}: {inner}/ at {rev} has no ruleset files")
    else:
        names = [inner]
    paths: list[Path] = []
    shown: dict[str, str] = {}
    for name in names:
        blob = _git(["cat-file", "blob", f"{commit}:{name}"], root)
        if blob.returncode != 0:
            raise DiffSourceError(f"{spec!r}: cannot read {name} at {rev}: {blob.stderr.decode()}")
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.stdout)
        paths.append(target)
        shown[path_of(target)] = f"{rev}:{name}"
    return Side(spec, f"{rev}:{inner} ({commit[:12]})", tuple(paths), commit, shown)


def load_books(
    old: Side,
    new: Side,
    *,
    only: bool = False,
    block: Iterable[str] = (),
    plugins: Plugins | None = None,
) -> tuple[RuleBook, RuleBook]:
    """A rule book for each side (see the module's docstring for what each contains).

    :param only: load only each side's files, not the plugins' rulesets.
    :param block: plugin names not to load.
    :param plugins: a plugin manager to use instead of discovering plugins.
    :raises RulesetError: for every problem in either side; files extracted from a git
        revision are named ``REV:path``.
    """
    plugins = plugins or load_plugins(block=block)
    books = [_load_side(side, plugins, only) for side in (old, new)]
    if not only:
        own = [{rs.id for rs in book.rulesets if rs.plugin == _FROM_FILES} for book in books]
        for i, other in ((0, 1), (1, 0)):
            drop = own[other] - own[i]
            if any(rs.id in drop for rs in books[i].rulesets):
                kept = [rs for rs in books[i].rulesets if rs.id not in drop]
                _, engines = plugins.collect()
                books[i] = RuleBook(kept, books[i].registry, engines)
    return books[0], books[1]


def _load_side(side: Side, plugins: Plugins, only: bool) -> RuleBook:
    try:
        return load_rules(side.paths, plugins=plugins, plugin_rulesets=not only)
    except RulesetError as exc:
        if not side.shown:
            raise
        renamed = [replace(d, file=side.shown.get(d.file, d.file)) for d in exc.diagnostics]
        raise RulesetError(renamed) from None
