"""Clean tests that are awkward for screening.

Screening calls every test of a group a few times per round and judges the
group's series as a whole; these must still all pass. The docstring of
each says why it is clean.
"""
import functools
import threading
import unittest

_calls = iter(range(10 ** 6, 10 ** 9))


@functools.lru_cache(maxsize=300)
def _label(n):
    return "label-%d" % n


def test_clean_cache_bigger_than_a_screening_round():
    """lru_cache(maxsize=300) fed 300 distinct keys in turn: it takes more
    calls to fill than a screening round makes, so the group grows for a
    while and then stops; the cache never holds more than 300 entries."""
    n = next(_calls) % 300
    assert _label(n).endswith(str(n))


_SWAP = {"current": None}


def test_clean_replaces_its_own_state():
    """Replaces a module-level object on every call: the previous one is
    freed as the new one takes its place."""
    _SWAP["current"] = [next(_calls)] * 4


def test_clean_big_temporary_list():
    """A 100 000-item temporary list: freed when the call returns."""
    assert len(list(range(100000))) == 100000


class TestWorkerThread(unittest.TestCase):
    """setUp starts a worker thread and tearDown stops and joins it: every
    call's thread is gone before the sample, in a group of such tests."""

    def setUp(self):
        self.stop = threading.Event()
        self.worker = threading.Thread(target=self.stop.wait)
        self.worker.start()

    def tearDown(self):
        self.stop.set()
        self.worker.join()

    def test_clean_worker_alive(self):
        """The worker runs while the test does."""
        self.assertTrue(self.worker.is_alive())

    def test_clean_worker_named(self):
        """The worker has a name."""
        self.assertTrue(self.worker.name)


class TestSharedFixture(unittest.TestCase):
    """setUpClass builds a table once that the tests only read."""

    @classmethod
    def setUpClass(cls):
        cls.table = {i: [i] * 3 for i in range(1000)}

    @classmethod
    def tearDownClass(cls):
        del cls.table

    def test_clean_reads_table(self):
        """Reads one entry of the class's table."""
        self.assertEqual(self.table[10], [10, 10, 10])

    def test_clean_counts_table(self):
        """Counts the class's table."""
        self.assertEqual(len(self.table), 1000)
