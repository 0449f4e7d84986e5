"""Labelled leaks of temporary files: each call leaves something in the
temporary directory (pyleak-ci gives every worker its own), or makes a
file there grow, and nothing removes it.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file; see tests/accuracy/leaks/test_leaks.py for the labels. Standard
library only; every call is quick.
"""
import itertools
import os
import tempfile

_counter = itertools.count()


def test_leak_mkdtemp_never_removed():
    """metric: tmpfiles

    A folder per call, never removed."""
    tempfile.mkdtemp(prefix="plk-acc-")


def test_leak_mkstemp_file_kept():
    """metric: tmpfiles

    The descriptor is closed; the file stays."""
    fd, _ = tempfile.mkstemp(prefix="plk-acc-")
    os.close(fd)


def test_leak_named_temporary_file_not_deleted():
    """metric: tmpfiles

    delete=False: closing it does not remove it."""
    with tempfile.NamedTemporaryFile(prefix="plk-acc-", delete=False) as f:
        f.write(b"data")


def test_leak_log_file_appended():
    """metric: tmpbytes

    One file, 256 bytes more on every call."""
    path = os.path.join(tempfile.gettempdir(), "plk-acc.log")
    with open(path, "a") as f:
        f.write("x" * 255 + "\n")


def test_leak_cache_folder_grows_forever():
    """metric: tmpfiles

    A cache folder with a new entry per call and no bound."""
    folder = os.path.join(tempfile.gettempdir(), "plk-acc-cache")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "entry-%d" % next(_counter)), "w") as f:
        f.write("v")
