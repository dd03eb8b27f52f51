"""Safe file access: reading a checkpoint that may be anything, writing one atomically.

Reading. A path is checked with stat() before it is opened, so a FIFO (open
would block until a writer comes), a device (/dev/zero reads forever), a
directory or a socket is refused without being opened; the file is then opened
non-blocking and checked again with fstat(), so swapping it between the two
checks gains nothing. A file object must be seekable; its checkpoint starts at
its current position. Every read asks for an exact byte range inside the size
measured at the start, so no declared length can make the reader go past it.

Writing. The checkpoint is written to a temporary file in the target's
directory, fsynced, and moved over the target with os.replace(), so a crash
leaves either the old file or the new one, never a torn one. Where the system
has O_TMPFILE (and can link such a file in: some sandboxes cannot) the
temporary file has no name until it is complete, so a save killed mid-write
leaves nothing behind. Elsewhere it is a hidden `.<name>.<pid>-<random>.tmp`,
removed on any failure Python sees; a save killed by a signal cannot remove
its own, so each later save to the same name removes those whose process has
died. Saving through a symlink replaces the link's target and keeps the link.
A file object is written in place, as it is: the caller owns its atomicity.
"""

import os
import secrets
import stat

from .error import CheckpointError

_KINDS = [(stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISCHR, "character device"),
          (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")]


def _kind(mode):
    return next((name for test, name in _KINDS if test(mode)), "special file")


def is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def display_name(f):
    """How messages name a checkpoint: its path, or the file object's name."""
    if is_path(f):
        return os.fsdecode(os.fspath(f))
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__} object>"


class Source:
    """The bytes of a checkpoint, read by exact ranges: read(offset, n) -> bytearray of n bytes."""

    def __init__(self, file, start, size, name, owned):
        self.file, self.start, self.size, self.name, self._owned = file, start, size, name, owned

    def read(self, offset, n, what):
        if offset < 0 or n < 0 or offset + n > self.size:
            raise CheckpointError(f"load: {self.name} is truncated or damaged: {what} would lie at bytes "
                                  f"{offset}..{offset + n} of a {self.size}-byte file")
        buffer = bytearray(n)
        view, done = memoryview(buffer), 0
        self.file.seek(self.start + offset)
        while done < n:
            got = self.file.readinto(view[done:])
            if not got:
                raise CheckpointError(f"load: {self.name} changed while it was read: {what} ends early")
            done += got
        return buffer

    def close(self):
        if self._owned:
            self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_source(f):
    """A Source for a path or a binary file object, refusing anything that is not a regular file."""
    name = display_name(f)
    if is_path(f):
        path = os.fspath(f)
        info = os.stat(path)  # FileNotFoundError and PermissionError are the usual OSErrors
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(f"load: {name} is a {_kind(info.st_mode)}, not a regular file; "
                                  "a checkpoint is a regular file")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                raise CheckpointError(f"load: {name} was replaced while it was opened; a checkpoint is a regular file")
            file = os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise
        return Source(file, 0, opened.st_size, name, owned=True)
    if not all(callable(getattr(f, m, None)) for m in ("readinto", "seek", "tell")):
        raise TypeError(f"load: expected a path or a binary file object with read, seek and tell, "
                        f"got {type(f).__name__}")
    try:
        mode = os.fstat(f.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # BytesIO and friends have no descriptor
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise CheckpointError(f"load: {name} is an open {_kind(mode)}, not a regular file; a checkpoint is a "
                              "regular file")
    try:
        start = f.tell()
        size = f.seek(0, os.SEEK_END) - start
    except OSError as exc:
        raise CheckpointError(f"load: {name} cannot be read as a checkpoint: it is not seekable ({exc})") from None
    return Source(f, start, size, name, owned=False)


# ---- writing ------------------------------------------------------------------------------

def write_atomically(path, write):
    """Call write(binary_file) to produce the checkpoint, then move it over `path` in one step."""
    target = os.path.realpath(os.fspath(path))  # through symlinks: the link stays, its target is updated
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: cannot write {os.fsdecode(path)}: the folder {folder} does not exist")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        mode = None
    else:
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(f"save: {os.fsdecode(path)} is a {_kind(info.st_mode)}; tr.save replaces regular "
                                  "files only (pass an open file object to write anywhere else)")
        mode = stat.S_IMODE(info.st_mode)
    _remove_orphans(target)
    if not _write_unnamed(target, folder, mode, write):
        _write_named(target, folder, mode, write)
    _sync_folder(folder)


_unnamed_works = {}  # st_dev -> whether an unnamed file there can be given a name


def _open_unnamed(folder):
    """An unnamed file in `folder` (O_TMPFILE) that can later be linked in, or None where it cannot."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"):
        return None
    device = os.stat(folder).st_dev
    if device not in _unnamed_works:
        _unnamed_works[device] = _probe_unnamed(folder)
    if not _unnamed_works[device]:
        return None
    try:
        return os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    except OSError:
        return None


def _probe_unnamed(folder):
    """Try the whole trick once: some systems have O_TMPFILE but cannot link the file in (EXDEV, ENOENT)."""
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError:  # the filesystem has no unnamed files (EOPNOTSUPP, EISDIR, EINVAL)
        return False
    probe = os.path.join(folder, f".tinygrad_rnn.{secrets.token_hex(4)}.probe")
    try:
        os.link(f"/proc/self/fd/{fd}", probe, follow_symlinks=True)
    except OSError:
        return False
    else:
        os.unlink(probe)
        return True
    finally:
        os.close(fd)


def _write_unnamed(target, folder, mode, write):
    """Write into an unnamed file, then name it and move it in; False if the system cannot."""
    fd = _open_unnamed(folder)
    if fd is None:
        return False
    with os.fdopen(fd, "wb") as f:
        write(f)
        _finish(f, mode)
        temp = _temp_name(target)
        os.link(f"/proc/self/fd/{f.fileno()}", temp, follow_symlinks=True)
    try:
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise
    return True


def _write_named(target, folder, mode, write):
    temp = _temp_name(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            _finish(f, mode)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise


def _temp_name(target):
    """.<name>.<pid>-<random>.tmp: hidden, and naming the process that writes it."""
    folder, base = os.path.split(target)
    return os.path.join(folder, f".{base}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _remove_orphans(target):
    """Delete the temporary files of earlier saves to `target` whose process has died (killed mid-save):
    nothing else can clean them. A file whose process is alive, or is not ours to signal, is left."""
    folder, base = os.path.split(target)
    prefix = f".{base}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):-len(".tmp")].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass  # another process removed it first, or the folder is read-only: a leftover is harmless


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process, alive
        return True
    return True


def _finish(f, mode):
    f.flush()
    if mode is not None:  # an overwritten checkpoint keeps its permissions
        os.fchmod(f.fileno(), mode)
    os.fsync(f.fileno())


def unnamed_temp_files_supported(folder):
    """True where saves in `folder` write an unnamed temporary file (nothing is left if one is killed)."""
    fd = _open_unnamed(os.fspath(folder))
    if fd is not None:
        os.close(fd)
    return fd is not None


def _sync_folder(folder):
    """Make the rename itself durable; some systems cannot fsync a directory, which costs only durability."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a directory; the file itself was fsynced already
    finally:
        os.close(fd)
