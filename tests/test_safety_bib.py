"""`bibbridge bib -o FILE`: what may be a target, and that nothing is lost or damaged there.

Every test runs the real console script (a traceback would show) and checks the file itself: refused
targets are byte-identical, written ones are read back whole by our reader, bibtexparser and, where
the question is what BibTeX sees, the real ``bibtex``.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import AS_OF, digest_path

BIBBRIDGE = str(Path(sys.executable).with_name("bibbridge"))
D0 = "000_15dd5ef3f356a94c.txt"  # 30 papers
D1 = "001_88429e94ceb0c524.txt"  # 74 papers
FIRST_TITLE = "Generative Marginalization Models"  # the first paper of D0


def run(*args: str | Path, timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIBBRIDGE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,  # type: ignore[arg-type]
    )


def merge(
    target: Path | str, digest: str = D0, *extra: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return run("bib", digest_path(digest), "--as-of", AS_OF, "-o", target, *extra, timeout=timeout)


def assert_refused(proc: subprocess.CompletedProcess[str], name: str, line: int | None = None) -> str:
    """Exit 2, no traceback, one error line naming the file (and line)."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [x for x in proc.stderr.splitlines() if x.startswith("bibbridge: error: ")]
    assert len(errors) == 1, proc.stderr
    where = f"{name}:{line}: " if line is not None else f"{name}"
    assert where in errors[0], errors[0]
    return errors[0]


def refused_untouched(target: Path) -> str:
    """Merging into ``target`` is refused (see :func:`assert_refused`) and leaves its bytes as they were."""
    before = target.read_bytes()
    message = assert_refused(merge(target), str(target))
    assert target.read_bytes() == before
    return message


def bibtex_keys(data: bytes, workdir: Path) -> list[str]:
    """The keys the real bibtex (plain.bst, \\nocite{*}) sees in a .bib given as bytes."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / "refs.bib").write_bytes(data)
    (workdir / "doc.aux").write_text("\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    subprocess.run(["bibtex", "doc"], cwd=workdir, capture_output=True, timeout=120)
    bbl = (workdir / "doc.bbl").read_text(encoding="latin-1") if (workdir / "doc.bbl").exists() else ""
    return re.findall(r"\\bibitem(?:\[[^\]]*\])?\{([^}]*)\}", bbl)


def added_keys(text: str) -> list[str]:
    return re.findall(r"^@misc\{([^,]+),", text.replace("\r", "\n"), re.MULTILINE)


def parse_back(text: str) -> list[str]:
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    return [e["ID"] for e in bibtexparser.loads(text, parser=parser).entries]


# -- line ends and encodings ------------------------------------------------------------------------


def test_a_classic_mac_file_starting_with_a_comment_is_read_entry_by_entry(tmp_path: Path) -> None:
    target = tmp_path / "mac.bib"
    before = b"% my references\r@misc{mine,\r  title = {" + FIRST_TITLE.encode() + b"},\r  year = {2023}\r}\r"
    target.write_bytes(before)
    proc = merge(target)
    assert proc.returncode == 0, proc.stderr
    after = target.read_bytes()
    assert after.startswith(before)
    assert b"\n" not in after  # CR stays CR
    assert after.count(b"@misc{") == 30  # the paper already there is not appended again
    assert b"@misc{mine," in after and after.count(FIRST_TITLE.encode()) == 1


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_crlf_and_bom_are_kept(tmp_path: Path, bom: bytes) -> None:
    target = tmp_path / "refs.bib"
    before = bom + b"@misc{mine,\r\n  title = {Mine},\r\n  year = {2020}\r\n}\r\n"
    target.write_bytes(before)
    assert merge(target).returncode == 0
    after = target.read_bytes()
    assert after.startswith(before)
    assert after.count(b"\n") == after.count(b"\r\n")
    assert len(parse_back(after.decode("utf-8-sig"))) == 31


def test_a_utf16_bib_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_bytes("@misc{mine,\n  title = {Mine}\n}\n".encode("utf-16"))
    assert "UTF-16" in refused_untouched(target)


# -- targets that are not .bib files --------------------------------------------------------------


def test_a_tex_file_is_not_a_target(tmp_path: Path) -> None:
    target = tmp_path / "paper.tex"
    target.write_text("\\documentclass{article}\n\\begin{document}\nHello.\n\\end{document}\n")
    refused_untouched(target)
    new = tmp_path / "new.tex"
    assert_refused(merge(new), str(new))
    assert not new.exists()


def test_an_image_and_a_binary_file_are_not_targets(tmp_path: Path) -> None:
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    blob = tmp_path / "refs.bib"
    blob.write_bytes(b"@misc{a,\n title={x}}\n" + bytes(range(256)))
    for target in (png, blob):
        refused_untouched(target)


def test_a_text_file_with_no_entry_is_not_a_target(tmp_path: Path) -> None:
    target = tmp_path / "notes.bib"
    target.write_text("These are my notes about the papers I read.\nNothing to cite here.\n")
    refused_untouched(target)
    # a .bib holding only comments is a .bib
    comments = tmp_path / "comments.bib"
    comments.write_text("% my references\n@comment{to do: sort them}\n")
    assert merge(comments).returncode == 0


def test_a_json_array_is_a_csl_target_and_a_bib_is_not(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{mine,\n  title = {Mine}\n}\n")
    before = bib.read_bytes()
    assert_refused(merge(bib, D0, "--style", "csl-json"), str(bib))
    assert bib.read_bytes() == before
    json_target = tmp_path / "refs.json"
    json_target.write_text("[]\n")
    assert_refused(merge(json_target), str(json_target))  # bibtex entries into a .json
    assert merge(json_target, D0, "--style", "csl-json").returncode == 0


# -- special files, permissions, links ------------------------------------------------------------


def null_device(tmp_path: Path) -> Path:
    """A null device to aim at. As root, a private one (mknod c 1 3): code that replaced its target would
    otherwise replace the system's /dev/null for every process on the machine. Others cannot replace
    /dev/null (no write access to /dev), so it is safe to use."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return device


def test_devices_fifos_and_directories_are_not_targets(tmp_path: Path) -> None:
    null = null_device(tmp_path)
    null_before = os.stat(null)
    assert_refused(merge(null), str(null))
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert os.stat(null).st_ino == null_before.st_ino
    fifo = tmp_path / "refs.bib"
    os.mkfifo(fifo)
    started = time.monotonic()
    assert_refused(merge(fifo, timeout=20), str(fifo))
    assert time.monotonic() - started < 10
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    folder = tmp_path / "folder.bib"
    folder.mkdir()
    assert_refused(merge(folder), str(folder))


def test_stdout_is_dash(tmp_path: Path) -> None:
    proc = run("bib", digest_path(D0), "--as-of", AS_OF, "-o", "-", cwd=tmp_path)
    assert proc.returncode == 0
    assert len(added_keys(proc.stdout)) == 30
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_target_is_refused_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("@misc{mine,\n  title = {Mine}\n}\n")
    target.chmod(0o444)
    inode = target.stat().st_ino
    assert "read-only" in refused_untouched(target)
    assert target.stat().st_ino == inode and stat.S_IMODE(target.stat().st_mode) == 0o444


def test_a_symlinked_target_is_written_through_and_keeps_its_mode(tmp_path: Path) -> None:
    real = tmp_path / "library" / "refs.bib"
    real.parent.mkdir()
    real.write_text("@misc{mine,\n  title = {Mine}\n}\n")
    real.chmod(0o640)
    link = tmp_path / "refs.bib"
    link.symlink_to(Path("library") / "refs.bib")
    proc = merge(link)
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(Path("library") / "refs.bib")
    assert len(parse_back(real.read_text())) == 31
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert [p.name for p in real.parent.iterdir()] == ["refs.bib"]  # no temporary or lock file left


def test_owner_is_kept(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    target = tmp_path / "refs.bib"
    target.write_text("@misc{mine,\n  title = {Mine}\n}\n")
    os.chown(target, 1234, 5678)
    assert merge(target).returncode == 0
    assert (target.stat().st_uid, target.stat().st_gid) == (1234, 5678)


def test_hard_links_are_kept(tmp_path: Path) -> None:
    """docs/guarantees.md: a file with other hard links is written in place (under the lock, after a
    backup copy), so every name still shows the same, complete file."""
    target = tmp_path / "refs.bib"
    target.write_text("@misc{mine,\n  title = {Mine}\n}\n")
    other = tmp_path / "also.bib"
    os.link(target, other)
    proc = merge(target)
    assert proc.returncode == 0, proc.stderr
    assert os.path.samefile(target, other)
    assert len(parse_back(other.read_text())) == 31
    assert sorted(p.name for p in tmp_path.iterdir()) == ["also.bib", "refs.bib"]


# -- what the appended entries follow ------------------------------------------------------------

# Files BibTeX reads up to their last byte as part of one entry (an '@' that bibtexparser skips but
# BibTeX reads, left open): anything appended would disappear into that entry.
OPEN_AT_THE_END = {
    "quote-after-percent": b'@misc{mine,\n  title = {Mine}\n}\n% @misc{draft, title = "unfinished\n',
    "brace-after-percent": b"@misc{mine,\n  title = {Mine}\n}\n%@misc{draft, title = {unfinished\n",
    "brace-in-comment": b"@misc{mine,\n  title = {Mine}\n}\n@comment{ @misc{draft, title = {open\n",
    "crlf-quote-after-percent": b'@misc{mine,\r\n  title = {Mine}\r\n}\r\n% @misc{d, note = "open\r\n',
    "unclosed-comment": b"@misc{mine,\n  title = {Mine}\n}\n@comment{ an open note\n",
}


@pytest.mark.parametrize("name", sorted(OPEN_AT_THE_END))
def test_a_target_ending_inside_an_open_entry_is_refused_with_its_line(tmp_path: Path, name: str) -> None:
    target = tmp_path / "refs.bib"
    target.write_bytes(OPEN_AT_THE_END[name])
    message = assert_refused(merge(target), str(target), line=4)
    assert "not changed" in message
    assert target.read_bytes() == OPEN_AT_THE_END[name]


ODD_BUT_CLOSED = {
    "closed-after-percent": b"@misc{mine,\n  title = {Mine}\n}\n% @misc{draft, title = {done}}\n",
    "text-after-last-entry": b"@misc{mine,\n  title = {Mine}\n}\nsome words { and a brace\n",
    "no-final-newline": b"@misc{mine,\n  title = {Mine}\n}",
    "crlf-no-final-newline": b"@misc{mine,\r\n  title = {Mine}\r\n}",
    "cr-only": b"@misc{mine,\r  title = {Mine}\r}\r",
    "percent-last-line": b"@misc{mine,\n  title = {Mine}\n}\n% the end",
}


@pytest.mark.parametrize("name", sorted(ODD_BUT_CLOSED))
def test_entries_appended_to_an_odd_target_are_seen_by_bibtex(tmp_path: Path, name: str) -> None:
    target = tmp_path / "refs.bib"
    target.write_bytes(ODD_BUT_CLOSED[name])
    proc = merge(target)
    assert proc.returncode == 0, proc.stderr
    after = target.read_bytes()
    assert after.startswith(ODD_BUT_CLOSED[name])
    appended = added_keys(after[len(ODD_BUT_CLOSED[name]) :].decode())
    assert len(appended) == 30
    seen = bibtex_keys(after, tmp_path / "bibtex")
    assert set(appended) <= set(seen)
    assert set(appended) <= set(parse_back(after.decode()))


# -- concurrency and interruption -----------------------------------------------------------------


def test_two_merges_at_once_lose_no_entry(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    for trial in range(3):
        if target.exists():
            target.unlink()
        target.write_text("@misc{mine,\n  title = {Mine}\n}\n")
        argv = [
            [BIBBRIDGE, "bib", str(digest_path(d)), "--as-of", AS_OF, "-o", str(target)] for d in (D0, D1)
        ]
        procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in argv]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        text = target.read_text()
        keys = parse_back(text)
        # D1 has 5 of D0's papers: 1 + 30 + 69 entries, whichever ran first
        assert len(keys) == 100, (trial, outs)
        assert len(set(k.lower() for k in keys)) == 100


def test_a_stale_temporary_file_of_a_killed_merge_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("@misc{mine,\n  title = {Mine}\n}\n")
    stale = tmp_path / ".refs.bib.k1ll3d_x.tmp"
    stale.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    unrelated = tmp_path / ".other.bib.k1ll3d_x.tmp"
    unrelated.write_bytes(b"y")
    assert merge(target).returncode == 0
    assert not stale.exists()
    assert unrelated.exists()


def test_a_killed_merge_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    import signal

    target = tmp_path / "refs.bib"
    original = b"@misc{mine,\n  title = {Mine}\n}\n"
    for delay in (0.05, 0.15, 0.3, 0.5):
        target.write_bytes(original)
        proc = subprocess.Popen(
            [BIBBRIDGE, "bib", str(digest_path(D1)), "--as-of", AS_OF, "-o", str(target)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        after = target.read_bytes()
        assert after == original or (after.startswith(original) and len(parse_back(after.decode())) == 75)
        # the next merge finishes the job and leaves no temporary file behind
        assert merge(target, D1).returncode == 0
        assert len(parse_back(target.read_text())) == 75
        assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]


def test_braces_nested_deeper_than_bibtexparser_reads_are_refused_with_their_line(tmp_path: Path) -> None:
    deep = "{" * 120 + "x" + "}" * 120
    data = f"@misc{{mine,\n  title = {{Mine}}\n}}\n\n@misc{{deep,\n  title = {deep}\n}}\n".encode()
    with pytest.raises(RecursionError):
        parse_back(data.decode())  # bibtexparser 1.4 cannot read it: a merged file would not be read back
    target = tmp_path / "refs.bib"
    target.write_bytes(data)
    started = time.monotonic()
    message = assert_refused(merge(target), str(target), line=5)
    assert "nested 120 deep" in message and time.monotonic() - started < 5
    assert target.read_bytes() == data


@pytest.mark.parametrize("run_of", ["{" * 5000 + "}" * 5000, "!?.,;:" * 6000, "-" * 32000, "(=>" * 10000])
def test_long_runs_and_deep_nesting_in_a_digest_answer_in_well_under_a_second(
    tmp_path: Path, run_of: str
) -> None:
    digest = tmp_path / "digest.txt"
    glued = f"Generative{run_of}Models and {run_of}"  # glued to words: one token each side
    digest.write_text(digest_path(D0).read_text().replace(FIRST_TITLE, glued, 1))
    target = tmp_path / "refs.bib"
    for _ in range(2):  # writing, then reading our own output back
        started = time.monotonic()
        proc = merge(target, str(digest))
        assert proc.returncode == 0, proc.stderr
        assert time.monotonic() - started < 3.0  # the whole process (~0.3 s unloaded; was 9 s at 32k)
    assert len(parse_back(target.read_text())) == 30
