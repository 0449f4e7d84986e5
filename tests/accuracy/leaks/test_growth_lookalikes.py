"""Leaks that look like the bounded caches of
tests/accuracy/clean/test_bounded_growth.py.

Each one grows as slowly, or as irregularly, as a clean test there does
while its cache fills, but never stops: one entry per call forever, or
growth every 50th call only. The first line of each docstring names the
metrics that must show the leak (see test_leaks.py).

Nothing here prints, touches the network or needs a third-party package.
"""
import ctypes
import itertools
import random
import time

_counter = itertools.count(1000)


def _next():
    return next(_counter)


def _work():
    """Half a millisecond of a slow library call, as in the clean
    look-alikes: only a few calls per round."""
    time.sleep(0.0005)


_ERROR_LOG = []


def test_leak_error_log_unbounded():
    """metric: blocks, heap

    Each call logs one new error to a library's global error log that is
    never truncated: one entry per call forever, at the pace of the
    error log capped at 100 entries.
    """
    _work()
    n = _next()
    _ERROR_LOG.append((n % 7, "cannot parse record %d" % n))


_MEMO = {}


def test_leak_memo_unbounded():
    """metric: objects, blocks

    A memo of resolved names keyed by a new name per call, with no cap:
    like the memo capped at 1,024 entries, but it never stops adding.
    """
    time.sleep(0.0003)
    key = "host-%d" % _next()
    _MEMO[key] = ["resolved", key]


_EVERY_50TH = []
_CALLS = itertools.count(1)


def test_leak_every_50th_call():
    """metric: objects, blocks

    Keeps one record every 50th call only: a quick test, screened a
    dozen calls per round, where most rounds show no growth at all and
    the growth comes in rare steps, like a size-class pool's last
    classes filling.
    """
    n = next(_CALLS)
    if n % 50 == 0:
        _EVERY_50TH.append(["record", n])


_LIBC = ctypes.CDLL(None)
_malloc = _LIBC["malloc"]
_malloc.argtypes = [ctypes.c_size_t]
_malloc.restype = ctypes.c_void_p


class _SizeClassPool:
    """The size-class pool of the clean look-alike: freed blocks go on a
    free list per size class of 16 bytes."""

    def __init__(self):
        self.free = {}

    def alloc(self, size):
        cls = (size + 15) // 16
        blocks = self.free.setdefault(cls, [])
        if blocks:
            return blocks.pop()
        return _malloc(cls * 16)

    def release(self, size, ptr):
        self.free[(size + 15) // 16].append(ptr)


_POOL = _SizeClassPool()
_SIZES = random.Random(7)
_POOL_CALLS = itertools.count(1)


def test_leak_native_every_50th_call():
    """metric: heap

    Random data of a new size each call through the size-class pool, as
    in the clean look-alike, but every 50th call loses its block instead
    of releasing it (an error path that forgets the free): the pool's
    filling hides a native leak of 2 KiB every 50 calls on average.
    """
    size = _SIZES.randrange(1, 4097)
    ptr = _POOL.alloc(size)
    assert ptr
    ctypes.memset(ptr, 0x5A, size)
    if next(_POOL_CALLS) % 50:
        _POOL.release(size, ptr)
