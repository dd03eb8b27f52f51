"""tr.save to a path is atomic and tidy: a temporary file in the target's folder, fsynced, moved
over the target with os.replace, removed on any failure; a symlink's target is updated; a file
object is written in place."""

import io
import os
import stat

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.serialization import files


@pytest.fixture(params=["unnamed", "named"])
def temp_kind(request, monkeypatch, tmp_path):
    """Both ways of writing the temporary file: unnamed (O_TMPFILE) where the system has it, named elsewhere."""
    if request.param == "named":
        monkeypatch.setattr(files, "_open_unnamed", lambda folder: None)
    elif not files.unnamed_temp_files_supported(tmp_path):
        pytest.skip("unnamed temporary files (O_TMPFILE linked in through /proc) do not work here")
    return request.param


def test_save_replaces_an_existing_file_and_leaves_nothing_else(tmp_path, temp_kind):
    path = tmp_path / "c"
    tr.save({"v": 1}, path)
    tr.save({"v": 2}, path)
    assert tr.load(path) == {"v": 2}
    assert os.listdir(tmp_path) == ["c"]


def test_a_failed_save_leaves_the_previous_checkpoint_and_no_temporary_file(tmp_path, temp_kind):
    path = tmp_path / "c"
    tr.save({"w": tr.ones(3)}, path)
    with pytest.raises(tr.CheckpointError, match="save: obj cannot be pickled"):
        tr.save({"w": tr.zeros(3), "later": lambda: 0}, path)  # fails after the first array is written
    assert (tr.load(path)["w"].numpy() == 1).all()
    assert os.listdir(tmp_path) == ["c"]


def test_a_failed_replace_removes_the_temporary_file(tmp_path, temp_kind, monkeypatch):
    path = tmp_path / "c"
    tr.save({"v": 1}, path)

    def refuse(src, dst):
        raise OSError("replace refused")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError, match="replace refused"):
        tr.save({"v": 2}, path)
    monkeypatch.undo()
    assert tr.load(path) == {"v": 1} and os.listdir(tmp_path) == ["c"]


def test_an_interrupt_during_a_save_removes_the_temporary_file(tmp_path, temp_kind, monkeypatch):
    path = tmp_path / "c"

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tr.save({"v": 1}, path)
    assert os.listdir(tmp_path) == []


def test_the_data_is_fsynced_before_the_replace(tmp_path, temp_kind, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(files.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(files.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    tr.save({"v": 1}, tmp_path / "c")
    assert events[:2] == ["fsync", "replace"]


def test_the_temporary_file_lives_in_the_targets_folder(tmp_path, temp_kind, monkeypatch):
    moves = []
    real_replace = os.replace
    monkeypatch.setattr(files.os, "replace", lambda a, b: (moves.append((a, b)), real_replace(a, b))[1])
    tr.save({"v": 1}, tmp_path / "c")
    (source, target), = moves
    assert os.path.dirname(source) == os.path.dirname(target) == str(tmp_path)


def test_saving_through_a_symlink_updates_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.ckpt"
    tr.save({"v": 1}, target)
    link = tmp_path / "latest.ckpt"
    link.symlink_to(target)
    tr.save({"v": 2}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tr.load(target) == {"v": 2}
    assert sorted(os.listdir(tmp_path / "real")) == ["model.ckpt"]


def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "future.ckpt")
    tr.save({"v": 1}, link)
    assert link.is_symlink() and tr.load(tmp_path / "future.ckpt") == {"v": 1}


def test_an_overwritten_checkpoint_keeps_its_permissions(tmp_path):
    path = tmp_path / "c"
    tr.save({"v": 1}, path)
    os.chmod(path, 0o640)
    tr.save({"v": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_new_checkpoint_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        tr.save({"v": 1}, tmp_path / "c")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "c").st_mode) == 0o644


def test_a_file_object_is_written_in_place_and_left_open():
    buffer = io.BytesIO(b"prefix")
    buffer.seek(0, io.SEEK_END)
    tr.save({"v": 1}, buffer)
    assert not buffer.closed and buffer.getvalue().startswith(b"prefixPK")
    buffer.seek(len(b"prefix"))
    assert tr.load(buffer) == {"v": 1}


def test_saving_onto_a_fifo_or_a_directory_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(tr.CheckpointError, match=r"pipe is a FIFO \(named pipe\); tr.save replaces regular files"):
        tr.save({}, tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    with pytest.raises(tr.CheckpointError, match=r"folder is a directory; tr.save replaces regular files only"):
        tr.save({}, tmp_path / "folder")
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


def test_saving_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"save: cannot write .*/nowhere/c: the folder .*nowhere does not"):
        tr.save({}, tmp_path / "nowhere" / "c")


def test_save_needs_a_path_or_a_writable_file_object():
    with pytest.raises(TypeError, match="save: expected a path or a binary file object with write, got int"):
        tr.save({}, 3)


def test_a_save_removes_the_temporary_files_of_killed_saves_and_keeps_live_ones(tmp_path):
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".c.{int(dead.stdout)}-0badf00d.tmp"
    live = tmp_path / f".c.{os.getppid()}-0badf00d.tmp"
    other = tmp_path / f".other.{int(dead.stdout)}-0badf00d.tmp"
    for p in (orphan, live, other):
        p.write_bytes(b"partial")
    tr.save({"v": 1}, tmp_path / "c")
    assert sorted(os.listdir(tmp_path)) == sorted(["c", live.name, other.name])
