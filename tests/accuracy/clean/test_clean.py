"""Labelled clean tests: none of these leaks.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that every ``test_clean_*`` passes. Several of them are
deliberately awkward for a leak detector: caches that fill up and then
stay bounded, state that changes on the first call only, memory that is
freed late (cycles, threads), or large temporary allocations. The
docstring of each says why it is clean.

Nothing here prints, touches the network or needs a third-party package.
"""
import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import datetime
import functools
import hashlib
import io
import itertools
import json
import logging
import pickle
import random
import re
import struct
import tempfile
import threading
import warnings
import weakref
import zlib

_counter = itertools.count(1000)


def _next():
    return next(_counter)


# -- caches that fill up and stay bounded ---------------------------------

_LRU_CALLS = itertools.count()


@functools.lru_cache(maxsize=32)
def _render(n):
    return "<item %d>" % n


def test_clean_bounded_lru_cache():
    """lru_cache(maxsize=32) over 40 distinct arguments in turn: it fills
    during warm-up and then evicts one entry per new one, so its size
    never passes 32."""
    n = next(_LRU_CALLS) % 40
    assert _render(n) == "<item %d>" % n


def test_clean_unique_regex_per_call():
    """A regular expression never seen before compiled per call: re's
    cache is bounded (512 entries) and is purged between rounds, as
    CPython's refleak hunter does."""
    n = _next()
    pattern = re.compile(r"item-%d-(\w+)" % n)
    assert pattern.match("item-%d-abc" % n).group(1) == "abc"


_SMALL_CACHE = {}


def test_clean_cache_with_few_keys():
    """A cache dict whose key is counter % 5: five keys at most, the
    values replaced in place."""
    key = _next() % 5
    _SMALL_CACHE[key] = ["value", key]
    assert len(_SMALL_CACHE) <= 5


_BATCH = []


def test_clean_buffer_flushed_every_8_calls():
    """A module-level buffer that is cleared every 8 calls: it holds at
    most 8 records, whatever the number of calls."""
    _BATCH.append(["record", _next()])
    if len(_BATCH) >= 8:
        _BATCH.clear()


_RING = collections.deque(maxlen=16)


def test_clean_deque_with_maxlen():
    """deque(maxlen=16) appended to on every call: old items drop off the
    other end."""
    _RING.append(["event", _next()])
    assert len(_RING) <= 16


class _Thing:
    def __init__(self, n):
        self.n = n


_LIVE = weakref.WeakValueDictionary()


def test_clean_weak_value_cache():
    """A WeakValueDictionary cache: the entry goes away with the object
    when the call returns."""
    n = _next()
    thing = _Thing(n)
    _LIVE[n] = thing
    assert _LIVE[n] is thing


def test_clean_import_on_first_call():
    """A lazy import of a module nobody imported before (fractions): the
    first call pays for it, later calls find it in sys.modules."""
    import fractions

    third = fractions.Fraction(1, 3)
    assert third + fractions.Fraction(1, 6) == fractions.Fraction(1, 2)


def test_clean_struct_varied_formats():
    """struct with one of 50 formats per call: struct's format cache is
    bounded and is cleared between rounds."""
    count = _next() % 50 + 1
    packed = struct.pack("<%dI" % count, *range(count))
    assert len(struct.unpack("<%dI" % count, packed)) == count


# -- memory that is freed, if late ------------------------------------------

def test_clean_big_temporary_bytearray():
    """An 8 MiB bytearray that lives for one call: glibc maps it and
    unmaps it (or, with a raised mmap threshold, frees it to the heap)."""
    buf = bytearray(8 << 20)
    buf[-1] = 1
    assert buf[-1] == 1 and len(buf) == 8 << 20


class _Resource:
    finalized = 0

    def __init__(self):
        self.partner = None

    def __del__(self):
        _Resource.finalized += 1


def test_clean_cycles_with_del():
    """Reference cycles whose objects have __del__: since Python 3.4 the
    collector finalizes and frees them (PEP 442)."""
    a = _Resource()
    b = _Resource()
    a.partner = b
    b.partner = a


def test_clean_thread_started_and_joined():
    """A thread started and joined in the same call: it is gone before
    the call returns."""
    box = []
    thread = threading.Thread(target=box.append, args=(1,))
    thread.start()
    thread.join()
    assert box == [1]


def test_clean_thread_pool_executor():
    """A ThreadPoolExecutor used as a context manager: shutdown(wait=True)
    joins its workers on exit."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        assert sum(pool.map(abs, range(-5, 5))) == 25


def test_clean_tempfile_opened_and_closed():
    """A temporary file opened and closed (and so removed) in the call:
    the descriptor is closed when the with block ends."""
    with tempfile.TemporaryFile() as f:
        f.write(b"payload" * 64)
        f.seek(0)
        assert len(f.read()) == 448


async def _add(a, b):
    await asyncio.sleep(0)
    return a + b


def test_clean_asyncio_run():
    """asyncio.run of a small coroutine: a new event loop (with its
    self-pipe descriptors) is created and closed in the call."""
    assert asyncio.run(_add(2, 3)) == 5


def test_clean_dynamic_class_discarded():
    """A class created per call with type() and dropped: classes are in
    reference cycles with themselves, and the collector frees them."""
    n = _next()
    cls = type("Tmp", (object,), {"value": n})
    assert cls().value == n


# -- ordinary work ---------------------------------------------------------

def test_clean_string_building():
    """Strings built with join, formatting and StringIO: temporaries
    only."""
    n = _next()
    parts = ["%s=%d" % (k, n) for k in ("a", "b", "c")]
    out = io.StringIO()
    out.write(",".join(parts))
    out.write(f" [{n:08d}]")
    assert out.getvalue().startswith("a=")


def test_clean_json_roundtrip():
    """json dumps and loads of a small document: no cache outlives the
    call."""
    doc = {"n": _next(), "items": list(range(10)), "name": "pyleak"}
    assert json.loads(json.dumps(doc)) == doc


def test_clean_generator_consumed():
    """A generator expression consumed to the end."""
    assert sum(x * x for x in range(100)) == 328350


def _fail(n):
    raise ValueError("bad value %d" % n)


def test_clean_exceptions_caught():
    """Exceptions raised and caught: the handler's name is deleted when
    the except block ends, so the traceback and its frames go too."""
    try:
        _fail(_next())
    except ValueError as exc:
        assert "bad value" in str(exc)


def test_clean_dict_comprehension():
    """A dict comprehension over fresh strings: a temporary dict."""
    data = {str(i): i * i for i in range(64)}
    assert data["7"] == 49


def test_clean_sorting_seeded_random():
    """Sorting random data from a Random seeded per call."""
    rng = random.Random(_next())
    data = [rng.random() for _ in range(200)]
    data.sort()
    assert data[0] <= data[-1]


@contextlib.contextmanager
def _opened(log):
    log.append("open")
    try:
        yield log
    finally:
        log.append("close")


def test_clean_context_manager():
    """A generator-based context manager entered and exited."""
    log = []
    with _opened(log) as handle:
        handle.append("use")
    assert log == ["open", "use", "close"]


class _Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm2(self):
        return self.x * self.x + self.y * self.y


def test_clean_small_class_instances():
    """Small objects instantiated and discarded."""
    points = [_Point(i, -i) for i in range(20)]
    assert sum(p.norm2() for p in points) == 2 * sum(i * i for i in range(20))


@dataclasses.dataclass
class _Order:
    id: int
    items: list


def test_clean_pickle_roundtrip():
    """A dataclass instance pickled and unpickled: copyreg's slot-name
    cache is filled on the first call, for one class."""
    order = _Order(_next(), ["a", "b"])
    assert pickle.loads(pickle.dumps(order)) == order


def test_clean_zlib_roundtrip():
    """zlib compress and decompress: zlib's working memory is freed when
    the call returns."""
    data = b"pyleak-ci " * 200
    assert zlib.decompress(zlib.compress(data)) == data


def test_clean_hashlib_digest():
    """A SHA-256 digest of a small payload."""
    digest = hashlib.sha256(b"payload %d" % _next()).hexdigest()
    assert len(digest) == 64


class _Discard(logging.Handler):
    """Formats every record and throws the text away."""

    def emit(self, record):
        self.format(record)


_LOG = logging.getLogger("pyleak.accuracy.clean")
_LOG.addHandler(_Discard())
_LOG.setLevel(logging.INFO)
_LOG.propagate = False


def test_clean_logging_no_new_handlers():
    """Logging through a logger configured once at import: records are
    made, formatted and dropped; no handler or logger is added."""
    _LOG.info("processed %d items", _next())
    _LOG.debug("below the level, dropped early")


def test_clean_warnings_caught():
    """warnings.warn inside catch_warnings(record=True): the filters are
    restored on exit and the recorded list is dropped."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("deprecated thing %d" % _next(), DeprecationWarning)
    assert len(caught) == 1


def test_clean_datetime_parsing():
    """datetime.strptime and isoformat: _strptime's regex cache is bounded
    and cleared between rounds."""
    n = _next()
    text = "2024-%02d-%02d 12:%02d:00" % (n % 12 + 1, n % 28 + 1, n % 60)
    parsed = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    assert datetime.datetime.fromisoformat(parsed.isoformat()) == parsed


def test_clean_counter_of_words():
    """collections.Counter over a sentence: a temporary mapping."""
    words = ("the quick brown fox jumps over the lazy dog %d" %
             (_next() % 3)).split()
    assert collections.Counter(words)["the"] == 2
