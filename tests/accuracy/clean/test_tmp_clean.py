"""Labelled clean tests of temporary files: each makes files or folders
in the temporary directory and leaves nothing growing there.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that every ``test_clean_*`` passes. Standard library
only; every call is quick.
"""
import itertools
import os
import shutil
import tempfile
import unittest

_counter = itertools.count()


def test_clean_temporary_directory_context():
    """TemporaryDirectory as a context manager removes the folder and
    what is in it."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "data"), "w") as f:
            f.write("x" * 1000)
        os.mkdir(os.path.join(d, "sub"))


def test_clean_file_created_and_deleted():
    """Made and removed within the call."""
    fd, path = tempfile.mkstemp()
    os.write(fd, b"data")
    os.close(fd)
    os.unlink(path)


def test_clean_named_temporary_file_deleted():
    """The default delete=True removes it on close."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"data")


def test_clean_file_rewritten_same_size():
    """The same file rewritten with the same size: one file, once."""
    path = os.path.join(tempfile.gettempdir(), "plk-acc-state")
    with open(path, "w") as f:
        f.write("%08d" % (next(_counter) % 10 ** 8))


def test_clean_bounded_cache_folder():
    """A cache folder of at most 10 entries: the oldest goes when a new
    one comes. It fills one entry per call, then churns."""
    folder = os.path.join(tempfile.gettempdir(), "plk-acc-lru")
    os.makedirs(folder, exist_ok=True)
    n = next(_counter)
    with open(os.path.join(folder, "e%d" % n), "w") as f:
        f.write("v")
    old = os.path.join(folder, "e%d" % (n - 10))
    if os.path.exists(old):
        os.unlink(old)


class TempFileFixture(unittest.TestCase):
    """A folder made in setUp and removed in tearDown."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_clean_removed_in_teardown(self):
        """What the test writes goes with the folder."""
        with open(os.path.join(self.dir, "out"), "w") as f:
            f.write("result")
