"""Leaks that screening must not hide.

pyleak-ci screens the tests of a class, or a file's functions, together
and only narrows down to single tests when the group's series is not
clean. The leaks here sit among clean tests (which must still pass), leak
only while a class fixture is set up, or leak once every third call in a
test slow enough to be called once per round.

Labels work as in test_leaks.py: ``test_leak_*`` with a first docstring
line ``metric: a, b``; ``test_clean_*`` must pass.
"""
import time
import unittest

_RECENT = []
_SEEN = set()
_counter = iter(range(10 ** 6, 10 ** 9))


def test_clean_arithmetic():
    """Integer arithmetic on temporaries."""
    assert sum(i * i for i in range(50)) == 40425


def test_clean_string_split():
    """A string split and joined again."""
    assert "-".join("a b c".split()) == "a-b-c"


def test_clean_dict_update():
    """A temporary dict updated and dropped."""
    d = dict.fromkeys("abc", 0)
    d.update(a=1)
    assert d["a"] == 1


def test_clean_recent_window():
    """A module-level window of the last 8 items: bounded."""
    _RECENT.append(next(_counter))
    del _RECENT[:-8]


def test_clean_list_sort():
    """Sorting a temporary list."""
    assert sorted([5, 3, 9, 1]) == [1, 3, 5, 9]


def test_leak_hidden_among_clean():
    """metric: blocks

    One new int per call kept in a module-level set, in a file whose other
    functions are all clean: screening the file's functions together must
    narrow down to this one.
    """
    _SEEN.add(next(_counter))


_LISTENERS = []


def _on_event():
    return None


def test_leak_same_callback_registered():
    """metric: heap

    Registers the same module-level function as a listener on every call:
    no new object at all, only the listener list's buffer grows by one
    pointer (8 bytes) per call, which malloc serves by growing the chunk.
    """
    _LISTENERS.append(_on_event)


def test_clean_tuple_unpack():
    """Tuple packing and unpacking."""
    a, b = (1, 2)
    assert a + b == 3


def test_clean_set_ops():
    """Set union and intersection of temporaries."""
    assert {1, 2} | {3} == {1, 2, 3} and {1, 2} & {2} == {2}


def test_clean_bytes_ops():
    """bytes concatenation and slicing."""
    assert (b"ab" + b"cd")[1:3] == b"bc"


def test_clean_enumerate():
    """enumerate over a short list."""
    assert [i for i, _ in enumerate("xyz")] == [0, 1, 2]


_SLOW_CALLS = [0]
_SLOW_KEPT = []


def test_leak_every_third_call_slow():
    """metric: objects, blocks

    Sleeps 3 ms, so it is calibrated to one call per round, and keeps one
    new list every third call: a run of flat rounds must not stop it early
    (the early stop needs at least four calls in its flat rounds).
    """
    time.sleep(0.003)
    _SLOW_CALLS[0] += 1
    if _SLOW_CALLS[0] % 3 == 0:
        _SLOW_KEPT.append([_SLOW_CALLS[0]])


class _Pool:
    """A connection pool: acquire() hands out a connection that must be
    given back with release()."""

    def __init__(self):
        self.in_use = []

    def acquire(self):
        conn = {"id": next(_counter), "buffer": bytearray(64)}
        self.in_use.append(conn)
        return conn

    def release(self, conn):
        self.in_use.remove(conn)

    def close(self):
        self.in_use.clear()


class TestWithPool(unittest.TestCase):
    """setUpClass opens a pool that tearDownClass closes: a connection
    that is never released piles up only while the class fixture is set
    up, and vanishes when it is torn down."""

    @classmethod
    def setUpClass(cls):
        cls.pool = _Pool()

    @classmethod
    def tearDownClass(cls):
        cls.pool.close()
        del cls.pool

    def test_clean_acquire_release(self):
        """A connection acquired and released."""
        conn = self.pool.acquire()
        self.pool.release(conn)

    def test_leak_connection_never_released(self):
        """metric: objects, blocks

        Acquires a connection from the class's pool and never releases
        it.
        """
        self.assertIn("id", self.pool.acquire())

    def test_clean_pool_size(self):
        """Reads the pool's size."""
        self.assertGreaterEqual(len(self.pool.in_use), 0)
