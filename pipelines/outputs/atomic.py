"""Where `ncmec query --out`, `report` and `export` write: never over what is not theirs.

A target is checked before anything is written: never the warehouse (its file, write-ahead log
or lock, compared by inode, so a hard link to them is refused too, and by name, so a log that
does not exist yet cannot be planted), never a symbolic link, a folder where a file is meant, a
FIFO or a device, and never a file or folder the output did not write (the caller says which are
its own: a report's page, an export's listed files).

The new file or folder is written in a temporary folder beside the target,
`.NAME.XXXXXXXX.tmp/`, which holds `lock` (flock'ed for as long as the folder is in use) and
`new`; it is fsync'ed and renamed into place (a previous folder is first moved into the
temporary folder as `old`), and the temporary folder removed. A process killed on the way
leaves it behind: the next output to the same target removes it, but only once it can take its
lock, so the folder of an output still being written is never touched. A swap cut short
between its two renames is undone: `old` goes back in place.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.core import faults
from pipelines.core.printable import shortened

LOCK = "lock"
NEW = "new"
OLD = "old"


class OutputError(Exception):
    """The output cannot be written where asked; the message is one line naming the path."""


def shown(path: Path | str) -> str:
    return shortened(path, 200)


def _protected(db: Path) -> dict[Path, str]:
    """The warehouse's own files, by the name each would have, with what to call them."""
    db = Path(os.path.abspath(db))
    return {db: "the warehouse", Path(f"{db}.wal"): "the warehouse's write-ahead log",
            Path(f"{db}.lock"): "the warehouse's lock file"}


def _identities(db: Path) -> dict[tuple[int, int], str]:
    found = {}
    for path, what in _protected(db).items():
        try:
            st = os.stat(path)
        except OSError:
            continue
        found[(st.st_dev, st.st_ino)] = what
    return found


def _named_as_protected(out: Path, db: Path) -> str | None:
    real = Path(os.path.realpath(out.absolute().parent)) / out.name
    for path, what in _protected(db).items():
        if real == Path(os.path.realpath(path.parent)) / path.name:
            return what
    return None


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{shown(path)}: {exc.strerror}") from None


def _not_a_regular_file(st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link: name the file itself, or a new one"
    if stat.S_ISDIR(st.st_mode):
        return "is a folder; --out names the file to write"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a FIFO, a device or a socket): name a regular file, or a new one"
    return None


def _parent(out: Path) -> Path:
    parent = out.absolute().parent
    if not parent.is_dir():
        raise OutputError(f"the folder {shown(parent)} does not exist")
    return parent


def file_target(out: Path, db: Path, ours: Callable[[Path], bool] | None = None, what: str = "file") -> None:
    """Refuse `out` as the file to write unless it is new, or a regular file that is not the
    warehouse's (and, with `ours`, one that `ours` recognises as written by this output)."""
    if out.name in ("", ".", ".."):
        raise OutputError(f"{shown(out)} is a folder; --out names the {what} to write")
    _parent(out)
    clean_leftovers(out)
    if (protected := _named_as_protected(out, db)) is not None:
        raise OutputError(f"{shown(out)} is {protected}; choose another --out")
    st = _lstat(out)
    if st is None:
        return
    if (problem := _not_a_regular_file(st)) is not None:
        raise OutputError(f"{shown(out)} {problem}")
    if (protected := _identities(db).get((st.st_dev, st.st_ino))) is not None:
        raise OutputError(f"{shown(out)} is {protected} {shown(db)} (the same file); choose another --out")
    if ours is not None and not ours(out):
        raise OutputError(f"{shown(out)} exists and is not a {what} that ncmec wrote; "
                          "move it away, or choose another --out")


def folder_target(out: Path, db: Path, listed: Callable[[Path], Callable[[str], bool] | None]) -> None:
    """Refuse `out` as the folder to replace unless it is new, empty, or holds only files that
    `listed(out)` (this output's record of what it wrote there; None: no such record) admits,
    and none of the warehouse's."""
    if out.name in ("", ".", ".."):
        raise OutputError(f"--out {shown(out)} is not a folder an export can replace (it is replaced whole): "
                          "name a folder of its own, such as --out exports")
    parent = _parent(out)
    clean_leftovers(out)
    st = _lstat(out)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        if (protected := _identities(db).get((st.st_dev, st.st_ino))) is not None:
            raise OutputError(f"{shown(out)} is {protected}; --out must be a folder (new, empty, or a previous export)")
        kind = ("a symbolic link" if stat.S_ISLNK(st.st_mode) else "a file" if stat.S_ISREG(st.st_mode)
                else "not a folder (a device, a FIFO or a socket)")
        raise OutputError(f"{shown(out)} is {kind}; --out must be a folder (new, empty, or a previous export)")
    if (protected := _named_as_protected(out, db)) is not None:
        raise OutputError(f"{shown(out)} is {protected}; choose another --out")
    real, warehouse = Path(os.path.realpath(out)), Path(os.path.realpath(db))
    if warehouse.is_relative_to(real) or Path.cwd().resolve().is_relative_to(real):
        holds = "the warehouse" if warehouse.is_relative_to(real) else "the current folder"
        raise OutputError(f"{shown(out)} holds {holds}, and an export replaces its folder whole; "
                          "choose another --out")
    if st is None:
        return
    if os.path.ismount(out) or st.st_dev != os.stat(parent).st_dev:
        raise OutputError(f"{shown(out)} is a mount point, which an export cannot replace; name a folder inside it")
    with os.scandir(out) as entries:
        if next(entries, None) is None:
            return
    admits = listed(out)
    if admits is None:
        raise OutputError(f"{shown(out)} is not empty and holds no previous export (manifest.json); "
                          "choose a new or empty folder")
    _only_listed(out, admits, _identities(db))


def _only_listed(out: Path, admits: Callable[[str], bool], warehouse: dict[tuple[int, int], str]) -> None:
    """Every entry under `out` is a file the record admits (or a folder on the way to one)."""
    for root, dirs, files in os.walk(out):
        for name in [*dirs, *files]:
            path = Path(root) / name
            rel = path.relative_to(out).as_posix()
            st = os.lstat(path)
            if (st.st_dev, st.st_ino) in warehouse:
                raise OutputError(f"{shown(out)} holds {warehouse[(st.st_dev, st.st_ino)]} ({shown(rel)}, the same "
                                  "file); choose another --out")
            if stat.S_ISDIR(st.st_mode) and admits(rel + "/"):
                continue
            if not stat.S_ISREG(st.st_mode) or not admits(rel):
                raise OutputError(f"{shown(out)} holds {shown(rel)}, which no export wrote (its manifest.json does "
                                  "not list it); move it away, or choose another --out")


_LEFTOVER = "[a-z0-9_]{8}\\.(?:tmp|old)"  # tempfile's eight characters (or uuid4's hex, made by 0.2.0)


def _work_folder(parent: Path, name: str) -> tuple[Path, int]:
    """A new temporary folder beside the target, its lock held; (folder, the lock's descriptor)."""
    for _ in range(5):
        work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=parent))
        try:
            fd = os.open(work / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileNotFoundError:  # taken for a dead one by another output's clean-up, just made
            continue
        # Blocking: an output cleaning up holds it only while it removes the folder...
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.fstat(fd), os.lstat(work / LOCK)):
                return work, fd
        except FileNotFoundError:
            pass
        os.close(fd)  # ...which is gone now: make another
    raise OutputError(f"cannot make a temporary folder in {shown(parent)}")


def clean_leftovers(out: Path) -> None:
    """Remove what a killed output to `out` left beside it, but not what one running now uses."""
    parent = out.absolute().parent
    pattern = re.compile(re.escape(f".{out.name}.") + _LEFTOVER)
    try:
        names = [e.name for e in os.scandir(parent) if pattern.fullmatch(e.name)]
    except OSError:
        return
    for name in names:
        path = parent / name
        st = _lstat(path)
        if st is None:
            continue
        if not stat.S_ISDIR(st.st_mode):
            path.unlink(missing_ok=True)  # a link or file left by 0.2.0
        elif name.endswith(".old"):  # 0.2.0 moved the previous export aside under this name
            _put_back_or_remove(path, out)
        else:
            _remove_if_dead(path, out)


def _remove_if_dead(work: Path, out: Path) -> None:
    try:
        fd: int | None = os.open(work / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        fd = None  # no lock: 0.2.0's, or one being made now (its maker checks that it survived)
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # alive
        if (work / OLD).is_dir() and not (work / OLD).is_symlink():
            _put_back_or_remove(work / OLD, out)
        shutil.rmtree(work, ignore_errors=True)
    finally:
        if fd is not None:
            os.close(fd)


def _put_back_or_remove(old: Path, out: Path) -> None:
    if not os.path.lexists(out):
        os.rename(old, out)  # a swap killed between its renames: the previous output back in place
    else:
        shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    """Every file and folder of the new output on disk before it is renamed into place."""
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            for name in [*files, *dirs]:
                _fsync(Path(root) / name)
    _fsync(path)


def _swap(work: Path, out: Path) -> None:
    new = work / NEW
    if new.is_dir():
        moved = False
        if os.path.lexists(out):
            os.rename(out, work / OLD)
            moved = True
        faults.pause_point("export_swap")
        try:
            os.rename(new, out)
        except OSError:
            if moved:
                os.rename(work / OLD, out)
            raise
    else:
        os.replace(new, out)


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """The path to write the new file or folder at (it does not exist yet); when the block ends
    without an error, it replaces `out` whole. Check the target first (file_target, folder_target)."""
    parent = _parent(out)
    work, fd = _work_folder(parent, out.name)
    try:
        yield work / NEW
        if not os.path.lexists(work / NEW):
            raise OutputError(f"nothing was written for {shown(out)}")
        _fsync_tree(work / NEW)
        _swap(work, out)
        _fsync(parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(fd)

