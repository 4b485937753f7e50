"""Writing what a user keeps: whole or not at all, and a full disk or a read-only folder said in words.

A folder of reports, a new study or the sample is first written into a hidden folder beside its
target (``.NAME.writing-XXXX``, on the same disk), and moved into place by renames only when every
file is written. A full disk, a read-only folder or Ctrl-C part way leaves the target as it was and
removes the hidden folder. The renames themselves cannot run out of space, and Ctrl-C is held back
while they run.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from .errors import StudylibError

__all__ = ["disk_words", "said_in_words", "write_whole", "replaced", "atomic_text"]

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_READ_ONLY = {errno.EROFS}
_NO_RIGHT = {errno.EACCES, errno.EPERM}


def disk_words(exc: BaseException) -> tuple[str, str] | None:
    """(what happened, the fix) for an operating system error a user can fix, or None for any other."""
    if not isinstance(exc, OSError):
        return None
    if exc.errno in _FULL:
        return "the disk is full (no space left on it)", "Free some space and try again."
    if exc.errno in _READ_ONLY:
        return "the folder is on a read-only disk", "Name a folder you can write to."
    if exc.errno in _NO_RIGHT:
        return "there is no permission to write there", "Name a folder you can write to."
    return None


@contextlib.contextmanager
def said_in_words(what: str, after: str = "nothing was changed"):
    """Turn a full disk, a read-only folder or a missing permission met inside into a
    :class:`StudylibError`: what could not be written, why, what was left (``after``) and the fix."""
    try:
        yield
    except OSError as exc:
        words = disk_words(exc)
        if words is None:
            raise
        raise StudylibError(f"could not write {what}: {words[0]}; {after}. {words[1]}") from None


@contextlib.contextmanager
def _interrupts_held():
    """Ctrl-C and a terminate signal wait until the block is over (in the main thread; elsewhere
    there is no Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = {sig: signal.signal(sig, lambda *_: held.append(True)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _made_parents(folder: Path) -> list[Path]:
    """Create ``folder``'s missing parents; the ones made, deepest first (to remove on failure)."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


@contextlib.contextmanager
def write_whole(target: str | Path, *, what: str, replace: bool = False, carried=None):
    """Yield a hidden folder to write into; move what was written to ``target`` when the block ends.

    ``replace=True``: the target folder is replaced whole (the reports of a check: nothing of an
    earlier run stays beside the new). ``carried(old_folder) -> names`` says which of the old
    folder's entries move across into the new one (a team's own files). ``replace=False``: each
    file written is moved into the target, beside what it already holds (a new study, the sample).

    A failure or Ctrl-C inside the block leaves the target as it was and removes the hidden folder;
    a full disk or a read-only folder is raised as :class:`StudylibError` in words.
    """
    target = Path(target).absolute()
    after = (f"{target} is as it was" if target.exists() else f"{target} was not made")
    with said_in_words(what, after):
        made = _made_parents(target.parent)
        staging = _hidden_folder(target, "writing")
    try:
        with said_in_words(what, after):
            yield staging
            with _interrupts_held():
                _move_in(staging, target, replace=replace, carried=carried)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _hidden_folder(target: Path, what: str) -> Path:
    """A new folder beside ``target``, named for it and for this process, with the permissions a
    folder made by hand has. Folders of the same name
    that a process no longer running left (it was killed part way) are removed first."""
    _clear_left_behind(target)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.{what}-{os.getpid()}-", dir=target.parent))
    _as_made_by_hand(folder, 0o777)
    return folder


def _clear_left_behind(target: Path) -> None:
    """Remove the hidden folders beside ``target`` whose writer is gone (a run killed part way);
    another run writing at the same time keeps its own."""
    import re
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(writing|old)-(\d+)-")
    for folder in target.parent.iterdir():
        found = pattern.match(folder.name)
        if found and folder.is_dir() and not _running(int(found.group(2))):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:        # another user's process: running
        return True
    return True


def _move_in(staging: Path, target: Path, *, replace: bool, carried) -> None:
    if not target.exists():
        staging.rename(target)
        return
    if replace:
        for name in (carried(target) if carried else []):
            (target / name).rename(staging / name)
        old = _hidden_folder(target, "old")
        old.rmdir()
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return
    for item in sorted(staging.iterdir()):
        os.replace(item, target / item.name)
    staging.rmdir()


@contextlib.contextmanager
def replaced(path: str | Path, *, what: str | None = None, binary: bool = False):
    """A file to write in place of ``path``: a temporary file beside it that replaces ``path`` by one
    rename when the block ends, so the file is whole or as it was (and two writers at once each land
    whole). A full disk or a read-only folder is a :class:`StudylibError` in words."""
    path = Path(path)
    with said_in_words(what or path.name, f"{path.name} is as it was" if path.exists() else "nothing was written"):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            _as_made_by_hand(Path(tmp), 0o666)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _as_made_by_hand(path: Path, mode: int) -> None:
    """The permissions a file or folder made by hand has (``mkstemp`` and ``mkdtemp`` make theirs
    private to the user)."""
    mask = os.umask(0)
    os.umask(mask)
    path.chmod(mode & ~mask)


def atomic_text(path: str | Path, text: str, *, what: str | None = None) -> Path:
    """Write ``text`` to ``path`` whole, or leave it as it was (:func:`replaced`)."""
    with replaced(path, what=what) as out:
        out.write(text)
    return Path(path)
