"""Labelled leaks: every test here leaks on every call (or every third).

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that each ``test_leak_*`` is reported as a leak, and that
at least one of the metrics named on the first line of its docstring
(``metric: a, b``: any of them will do) has the verdict "leak".

Nothing here prints, touches the network or needs a third-party package.
Threads are daemons waiting on an event that is never set, so the process
can still exit; atexit callbacks and finalizers do nothing.
"""
import atexit
import ctypes
import functools
import itertools
import logging
import os
import queue
import socket
import sys
import threading
import types
import weakref

# Ints above 256 are never the interpreter's cached small ints, so every
# value handed out here is a new object.
_counter = itertools.count(1000)


def _next():
    return next(_counter)


def _do_nothing(*args):
    return None


# -- plain Python containers ------------------------------------------------

_GROWING_LIST = []


def test_leak_global_list():
    """metric: objects, blocks

    A module-level list that only grows: one new list per call.
    """
    _GROWING_LIST.append([_next()])


_SESSIONS = {}


def test_leak_global_dict():
    """metric: blocks, heap

    A session store keyed by a new id per call that nothing ever expires.
    Keys and values are ints and strings (not GC-tracked), so the growth
    shows in allocated blocks, not in the object count.
    """
    n = _next()
    _SESSIONS[n] = "session-%d" % n


class _EventBus:
    def __init__(self):
        self._listeners = []

    def subscribe(self, fn):
        self._listeners.append(fn)

    def unsubscribe(self, fn):
        self._listeners.remove(fn)


_BUS = _EventBus()


class _Widget:
    def __init__(self, n):
        self.n = n
        self.clicks = 0

    def on_click(self):
        self.clicks += 1


def test_leak_listener_never_removed():
    """metric: objects, blocks

    A widget subscribes a bound method to a module-level event bus and is
    never unsubscribed: the bus keeps the widget alive.
    """
    widget = _Widget(_next())
    _BUS.subscribe(widget.on_click)


_CALLBACKS = []


def _make_callback(n):
    payload = [n] * 4

    def callback():
        return len(payload)
    return callback


def test_leak_closures_in_global():
    """metric: objects, blocks

    Closures (function, cell and the captured list) kept in a global list.
    """
    _CALLBACKS.append(_make_callback(_next()))


@functools.lru_cache(maxsize=None)
def _square(n):
    return n * n


def test_leak_unbounded_lru_cache():
    """metric: blocks, heap

    functools.lru_cache(maxsize=None) called with a new argument each
    call: the cache keeps every key and result forever.
    """
    assert _square(_next()) > 0


_SEEN_IDS = set()


def test_leak_int_per_call_in_set():
    """metric: blocks

    One new int (> 256, so never a cached small int) per call added to a
    module-level set of "seen" ids.
    """
    _SEEN_IDS.add(_next())


_THIRD = 0
_EVERY_THIRD = []


def test_leak_every_third_call():
    """metric: objects, blocks

    Leaks one list every third call only (a call counter decides): the
    per-round growth is a third of the calls per round.
    """
    global _THIRD
    _THIRD += 1
    if _THIRD % 3 == 0:
        _EVERY_THIRD.append([_THIRD])


class _Plugin:
    instances = []

    def __init__(self, name):
        self.name = name
        _Plugin.instances.append(self)


def test_leak_class_attribute_list():
    """metric: objects, blocks

    Every instance registers itself in a class-attribute list that is
    never pruned.
    """
    _Plugin("plugin-%d" % _next())


class _Doc:
    def __init__(self, text):
        self.text = text


_PARSED_BY_ID = {}


def _parse(doc):
    # Keyed by id(); the document is kept in the value so the id cannot
    # be reused, which is exactly what keeps every document alive.
    key = id(doc)
    hit = _PARSED_BY_ID.get(key)
    if hit is None:
        hit = _PARSED_BY_ID[key] = (doc, doc.text.split())
    return hit[1]


def test_leak_cache_keyed_by_id():
    """metric: objects, blocks

    A weakref-unfriendly memo keyed by id(obj) that holds the object: a
    new document per call is never released.
    """
    doc = _Doc("a b c %d" % _next())
    assert len(_parse(doc)) == 4


def test_leak_atexit_register_per_call():
    """metric: blocks, objects

    atexit.register per call: the callbacks pile up until the interpreter
    exits (each is a new functools.partial).
    """
    atexit.register(functools.partial(_do_nothing, _next()))


_JOURNAL = bytearray()


def test_leak_growing_bytearray():
    """metric: heap

    An in-memory journal: a module-level bytearray extended by 240 bytes
    per call and never truncated. Past 512 bytes its buffer comes from
    malloc, not from pymalloc blocks, so only the heap metric sees it.
    """
    _JOURNAL.extend(b"event:%08d\n" % _next() * 16)


class _Node:
    def __init__(self, n):
        self.n = n
        self.peer = None


_GRAPHS = []


def test_leak_cycle_in_global():
    """metric: objects, blocks

    A two-node reference cycle without __del__, reachable from a global:
    the collector can never free it.
    """
    a = _Node(_next())
    b = _Node(a.n)
    a.peer = b
    b.peer = a
    _GRAPHS.append(a)


_FAILURES = []


def _risky(n):
    raise ValueError("bad input %d" % n)


def test_leak_exceptions_kept_with_tracebacks():
    """metric: objects, blocks

    Caught exceptions stored for a later report: each keeps its traceback
    and the frames it references.
    """
    try:
        _risky(_next())
    except ValueError as exc:
        _FAILURES.append(exc)


class _Serializer:
    registry = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _Serializer.registry[cls.__name__] = cls


def test_leak_subclass_registry():
    """metric: objects, blocks

    A plugin registry filled by __init_subclass__, with a class generated
    per call (as code that builds classes on the fly does).
    """
    type("Serializer%d" % _next(), (_Serializer,), {"version": 1})


_JOBS = queue.Queue()


def test_leak_queue_never_drained():
    """metric: objects, blocks

    Work items put on a module-level queue.Queue that no consumer drains.
    """
    _JOBS.put({"job": _next(), "args": [1, 2, 3]})


class _Service:
    def __init__(self):
        self.retries = [3]

    @functools.lru_cache(maxsize=None)
    def lookup(self, key):
        return key * 2


def test_leak_lru_cache_on_method():
    """metric: objects, blocks

    lru_cache on a method: the cache key holds self, so every short-lived
    service instance stays alive (flake8-bugbear B019).
    """
    assert _Service().lookup(21) == 42


class _App:
    pass


_APP = _App()  # lives as long as the process


def test_leak_finalizer_on_long_lived_object():
    """metric: objects, blocks

    weakref.finalize registered per call on an object that never dies:
    weakref.finalize keeps every finalizer (and its arguments) in its
    class-level registry.
    """
    weakref.finalize(_APP, _do_nothing, [_next()])


# -- the standard library's own registries ---------------------------------

class _QuietHandler(logging.NullHandler):
    """A handler that never writes anywhere."""


_HANDLER_LOG = logging.getLogger("pyleak.accuracy.leaky_handlers")
_HANDLER_LOG.propagate = False


def test_leak_logging_handler_per_call():
    """metric: objects, blocks

    A logging handler (with a formatter) added to a logger on every call,
    as "configure logging" code called per request does.
    """
    handler = _QuietHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    _HANDLER_LOG.addHandler(handler)


def test_leak_logger_per_request():
    """metric: objects, blocks

    logging.getLogger with a new name per call (a request id in the
    name): the logging manager keeps every logger forever.
    """
    log = logging.getLogger("pyleak.accuracy.request.%d" % _next())
    log.debug("handled")


def test_leak_module_per_call_in_sys_modules():
    """metric: objects, blocks

    A generated module registered in sys.modules per call and never
    removed.
    """
    name = "_pyleak_accuracy_generated_%d" % _next()
    mod = types.ModuleType(name)
    mod.VALUE = [1]
    sys.modules[name] = mod


# -- threads and descriptors --------------------------------------------------

_NEVER = threading.Event()  # never set


def test_leak_thread_never_joined():
    """metric: threads

    A thread started per call, waiting on a module-level event that is
    never set, never joined (a daemon, so the process can still exit).
    """
    threading.Thread(target=_NEVER.wait, daemon=True,
                     name="pyleak-accuracy-waiter").start()


def test_leak_timer_never_cancelled():
    """metric: threads

    A threading.Timer with an hour's interval started per call and never
    cancelled: its thread waits for the whole hour.
    """
    timer = threading.Timer(3600.0, _do_nothing)
    timer.daemon = True
    timer.start()


def test_leak_fd_never_closed():
    """metric: fds

    A descriptor from os.open('/dev/null') that is never closed.
    """
    fd = os.open(os.devnull, os.O_RDONLY)
    assert fd >= 0


_POOL = []


def test_leak_socketpair_pool():
    """metric: fds

    A connection pool that only ever adds connections (a socketpair per
    call) and never closes or reuses them.
    """
    _POOL.append(socket.socketpair())


# -- native code --------------------------------------------------------------

# Fresh function pointers (indexing, not attribute access) so that the
# process-wide ctypes.pythonapi attributes are left as they are.
_Py_IncRef = ctypes.pythonapi["Py_IncRef"]
_Py_IncRef.argtypes = [ctypes.py_object]
_Py_IncRef.restype = None

_PyMem_Malloc = ctypes.pythonapi["PyMem_Malloc"]
_PyMem_Malloc.argtypes = [ctypes.c_size_t]
_PyMem_Malloc.restype = ctypes.c_void_p

_LIBC = ctypes.CDLL(None)
_calloc = _LIBC["calloc"]
_calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
_calloc.restype = ctypes.c_void_p


def test_leak_native_incref():
    """metric: refs, objects, blocks

    Native code takes a reference it never releases (Py_IncRef on a new
    list each call): the list can never be freed.
    """
    _Py_IncRef([_next()])


def test_leak_native_incref_none():
    """metric: refs

    Native code increments None's reference count and never decrements
    it (a C extension's classic missing Py_DECREF(Py_None)). No memory is
    lost: only the reference total of a debug build of Python can see it.
    """
    _Py_IncRef(None)


def test_leak_native_calloc():
    """metric: heap

    A native allocation that is never freed: calloc(1, 4096) from libc,
    with nothing kept on the Python side.
    """
    assert _calloc(1, 4096)


def test_leak_native_pymem_malloc():
    """metric: blocks

    Native code allocates 64 bytes with PyMem_Malloc and never frees them
    (pymalloc serves them, so allocated blocks grow, not the C heap).
    """
    assert _PyMem_Malloc(64)
