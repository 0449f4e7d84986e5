"""Clean tests whose memory grows for a long while, then stops.

Each of these holds more after its first hundreds of calls than before,
so a detector that judges a few dozen calls sees steady or irregular
growth; called long enough, every one of them stops growing (or only
churns around a level). The leaks that look like them are in
tests/accuracy/leaks/test_growth_lookalikes.py. The docstring of each
says why it is clean.

Nothing here prints, touches the network or needs a third-party package.
The random data comes from private generators seeded at import, so that
the calls differ from each other (as random test data does) and every
run of the suite sees the same sequence.
"""
import ctypes
import functools
import itertools
import random
import time

_counter = itertools.count(1000)


def _next():
    return next(_counter)


def _work():
    """Half a millisecond of a slow library call: the test is called
    only a few times per round, so a cache it fills one entry per call
    takes many rounds to fill."""
    time.sleep(0.0005)


# -- caches filled one entry per call, up to a cap -------------------------

_ERROR_LOG = []
_ERROR_LOG_CAP = 100


def _log_error(code, text):
    # A library's global error log: it keeps the first 100 errors and
    # drops the rest, as C libraries with a fixed-size error table do.
    if len(_ERROR_LOG) < _ERROR_LOG_CAP:
        _ERROR_LOG.append((code, text))


def test_clean_error_log_capped_at_100():
    """Each call logs one new error to a library's global error log that
    keeps at most 100 entries: it fills over the first 100 calls, then
    stays full."""
    _work()
    n = _next()
    _log_error(n % 7, "cannot parse record %d" % n)
    assert len(_ERROR_LOG) <= _ERROR_LOG_CAP


_MEMO = {}
_MEMO_CAP = 1024


def _lookup(key):
    # A memo that stops adding entries once it holds 1,024 of them.
    hit = _MEMO.get(key)
    if hit is None:
        hit = ["resolved", key]
        if len(_MEMO) < _MEMO_CAP:
            _MEMO[key] = hit
    return hit


def test_clean_cache_capped_at_1024():
    """A memo of resolved names keyed by a new name per call, which
    stops adding entries at 1,024: it fills over the first 1,024 calls,
    then every new name is resolved without being kept."""
    time.sleep(0.0003)
    key = "host-%d" % _next()
    assert _lookup(key)[1] == key
    assert len(_MEMO) <= _MEMO_CAP


# -- a full cache that churns ----------------------------------------------

_LRU_KEYS = random.Random(20240601)


@functools.lru_cache(maxsize=1024)
def _fetch(key):
    # Odd keys give a list (tracked by the collector), even keys a
    # string: which entries an eviction drops moves the object count up
    # or down around its level.
    if key % 2:
        return ["row", key]
    return "row-%d" % key


for _key in range(1024):
    _fetch(_key)


def test_clean_full_lru_churning():
    """An lru_cache(maxsize=1024), full since import, looked up with
    random keys among 4,096: about three calls in four miss and evict an
    entry, so what the cache holds changes by a few objects up or down
    per round, around a level, and never grows."""
    key = _LRU_KEYS.randrange(4096)
    assert _fetch(key)


# -- a native allocator's per-size free lists ------------------------------

_LIBC = ctypes.CDLL(None)
_malloc = _LIBC["malloc"]
_malloc.argtypes = [ctypes.c_size_t]
_malloc.restype = ctypes.c_void_p


class _SizeClassPool:
    """A native allocator that keeps freed blocks on a free list per size
    class (of 16 bytes) and never gives them back to malloc, as many C
    libraries' pools do. Its memory grows whenever a size class is used
    for the first time, so by at most 256 blocks of 16 to 4,096 bytes."""

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


def test_clean_random_sizes_into_size_class_free_lists():
    """Random data of a new size each call goes through the size-class
    pool: its free lists fill one size class at a time, quickly at first
    and ever more rarely (about 2 KiB a call at first, some hundreds of
    bytes a call after 300 calls, a few after 1,500), and stop at 256
    blocks."""
    size = _SIZES.randrange(1, 4097)
    ptr = _POOL.alloc(size)
    assert ptr
    ctypes.memset(ptr, 0x5A, size)
    _POOL.release(size, ptr)
