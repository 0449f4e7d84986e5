"""pyleak-ci diagnosis: where a leaking test's memory comes from, what
holds it, and what kind of leak it is.

This module is compiled into the pyleak-ci binary and imported by the
embedded interpreter as ``_pyleak_diagnose``.  src/diagnose.c calls
``run()`` once a test has been judged leaking, with the collector frozen
(gc.freeze) and the test's output muted.  The test is re-run in three
short passes, each of a warm-up round and then ``rounds`` rounds of ``k``
calls, with the harness's cache restore and full collections after every
round, exactly as when detecting:

1. objects: per-type counts of the objects that survive (with everything
   older frozen, ``gc.get_objects()`` lists only what the re-run made),
   containers whose length grows, new descriptors, new threads (with
   where ``Thread.start`` was called), when procs leaks the child
   processes the re-run left (with where each was started), when
   tmpfiles or tmpbytes leak what it left in the tests' temporary
   directory and the files there that grew (with where each was
   created), then a bounded search back through referrers from a sample
   of leaked objects to a root;
2. allocation sites: tracemalloc snapshots after every round, compared by
   traceback, keeping the sites that grow;
3. native allocations, only when the C heap grows beyond what Python
   accounts for: the malloc tracer of src/malloc_trace.c records the
   Python frames of every malloc and what is still live at the end.

Trouble in a pass (an exception, the test failing, the time budget) is
recorded in ``notes`` and the other passes still run; only Ctrl-C goes
through.

``run()`` returns a dict: kind, loc_file, loc_line, top_site,
bytes_per_call, seconds, text (the readable report) and json, the whole
diagnosis as one JSON object with these keys:

  version          1
  kind             list of "python-held", "native-ref", "native-alloc",
                   "fd", "thread", "process", "tmpfile", "env",
                   "asyncio-task"
  location         {path, line, source, from} or null: the first frame in
                   the user's project ("from": "allocation", "native",
                   "fd-open", "thread-start", "process-start",
                   "tmp-create", "task-create", "env-change", or "test"
                   when nothing better is known)
  rounds, calls_per_round   of each re-run pass
  seconds          time spent diagnosing
  sites            tracemalloc allocation sites that grow, largest first:
                   {path, line, source, bytes_per_call, blocks_per_call,
                    traceback: [{path, line, source}], most recent first}
  native_sites     same shape, from the malloc tracer (still-live blocks)
  native_tracer    "used", "not needed", or why it was not available
  types            [{type, per_call}]: GC-tracked types that grow
  holders          [{chain, root, status, grows_per_call}]: status is
                   "root" (reached a module global, class attribute,
                   thread frame or sys.modules), "unreferenced" (no
                   Python object refers to it), "native" (its farthest
                   holders have no Python referrer) or "limit"
  registries       [{name, per_call}]: C-side registries that grow
                   (atexit callbacks)
  traced_bytes_per_call  what the growing tracemalloc sites add per call
  fds              [{fd, target, opened_at}]: descriptors the re-run left
                   open (opened_at a {path, line, source} or null); at
                   most 100, with fds_total the full count when cut
  threads          [{name, ident, daemon, target, started_at}] and native
                   threads as {name, tid, native: true}; at most 100, with
                   threads_total when cut
  tmpfiles         [{path, type, bytes, created_at, grew_per_call}]: what
                   the re-run left in the tests' temporary directory when
                   tmpfiles or tmpbytes leak: new entries (path relative
                   to it; an entry inside a new folder is the folder's),
                   and files that grew (with grew_per_call); created_at
                   the line that made it or the folder above it, or
                   null; at most 100, with tmpfiles_total when cut
  tasks            [{type, coro, state, created_at, site_from, loop}]:
                   asyncio tasks and futures the re-run left pending, when
                   their types grow: the coroutine's qualified name, the
                   line that created it (site_from "create"), else where
                   the coroutine is defined ("coroutine"), and the loop
                   (type and state); at most 100, tasks_total when cut
  loops            [{type, closed, running, created_at}]: event loops the
                   re-run made and never closed
  environment      [{what, added, count, per_call, added_at}]: when env
                   leaks, what the re-run added to "os.environ" (KEY=value),
                   "sys.path", "sys.meta_path", "sys.path_hooks",
                   "logging" (logger: handler), "atexit" (callbacks),
                   "signal" (SIGNAL -> handler), "cwd" (entries of the
                   working directory, or the directory it moved to) and
                   "streams" (stdout/stderr replaced); at most 10 items
                   each; added_at the line of the first one known
  processes        [{pid, cmdline, state, started_at}]: when procs leaks,
                   the children the re-run left ("running", or "zombie":
                   exited and not waited for; cmdline from
                   /proc/PID/cmdline, or the name in brackets for a
                   zombie); at most 100, with processes_total when cut.
                   The diagnosis kills and waits for them once read, and
                   for every child its passes left
  pass_seconds     {objects, sites, native}: time of each pass
  notes            list of strings: what could not be done, and why
"""

import collections
import functools
import gc
import json
import linecache
import math
import os
import stat
import sys
import sysconfig
import threading
import time
import tracemalloc
import types

import _pyleak_interp

__all__ = ["run"]

_OWN_FILE = "<pyleak-diagnose>"
_HARNESS_FILE = "<pyleak-harness>"
_TRACEMALLOC_FILE = tracemalloc.__file__

# Bounds. The whole diagnosis aims to stay under BUDGET seconds; a pass
# that would start after that is skipped with a note.
BUDGET = 30.0
MIN_CALLS = 12          # calls per measured pass at least (rounds * k)
MAX_ROUNDS = 24
HOLDER_SECONDS = 3.0    # for all holder searches of a test together
HOLDER_DEPTH = 12       # referrer levels from a leaked object
HOLDER_VISITS = 20000   # objects looked at per search
HOLDER_WIDTH = 64       # objects per level whose referrers are asked for
MAX_SAMPLES = 3         # leaked types whose holders are searched
CANDIDATES = 3          # objects tried per type until one has a root
MAX_SITES = 8
MAX_FRAMES_SHOWN = 8
MAX_LISTED = 20         # groups of descriptors and threads shown
MAX_JSON_LIST = 100     # descriptors and threads kept in the JSON


_PASS_SECONDS = "pass_seconds"


class _TestFailed(Exception):
    """The test did not pass during the diagnosis re-run."""


class _OutOfTime(Exception):
    pass


# -- paths -----------------------------------------------------------------

def _machinery(path):
    """Frames of pyleak-ci itself (every module it embeds is named
    "<pyleak...>"), the import system and tracemalloc."""
    return (path == _TRACEMALLOC_FILE or path.startswith("<pyleak") or
            path.startswith("<frozen importlib") or
            os.sep + "importlib" + os.sep in path)


_RUNNER_DIRS = (os.sep + "_pytest" + os.sep, os.sep + "pluggy" + os.sep)
_UNITTEST_DIR = os.sep + "unittest" + os.sep


def _runner_frame(path):
    """Frames of pytest and pluggy calling the test: shown only when a
    traceback has nothing else to show."""
    return any(d in path for d in _RUNNER_DIRS)


def _runner_site(paths, frames):
    """An allocation the test runner makes for itself: no frame of the
    traceback is in the user's project, and it runs through pytest,
    pluggy, unittest, pyleak-ci's harness or a frozen standard module
    (`<frozen os>`).  Such sites churn by a few bytes per call whatever
    the test does (pytest's log capture, its stash), so they are not
    where a leak comes from and are left out of the ranking."""
    if any(paths.user(p) for p, _ in frames):
        return False
    return any(_runner_frame(p) or _UNITTEST_DIR in p or
               p.startswith("<frozen ") or p.startswith("<pyleak")
               for p, _ in frames)


class _Paths:
    """Tells the user's project from the standard library and
    site-packages, and shows paths relative to the working directory."""

    def __init__(self, test_file):
        self.cwd = os.path.realpath(os.getcwd())
        roots = [self.cwd]
        if test_file:
            roots.append(os.path.dirname(os.path.realpath(test_file)))
        self.roots = roots
        lib = set()
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            try:
                p = sysconfig.get_paths().get(key)
            except Exception:
                p = None
            if p:
                lib.add(os.path.realpath(p))
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix):
            lib.add(os.path.realpath(os.path.join(
                p, "lib", "python%d.%d" % sys.version_info[:2])))
        # A project that lives inside a library directory (running the
        # standard library's own tests) is still the user's.
        self.lib = [p for p in lib
                    if not any(r == p or r.startswith(p + os.sep)
                               for r in roots)]
        self._memo = {}

    def user(self, path):
        hit = self._memo.get(path)
        if hit is not None:
            return hit
        ok = False
        if path and not path.startswith("<") and not _machinery(path):
            ap = os.path.realpath(path)
            parts = ap.split(os.sep)
            ok = ("site-packages" not in parts and
                  "dist-packages" not in parts and
                  not any(ap.startswith(p + os.sep) for p in self.lib) and
                  any(ap.startswith(r + os.sep) for r in self.roots))
        self._memo[path] = ok
        return ok

    def rel(self, path):
        if not path or path.startswith("<"):
            return path
        ap = os.path.realpath(path)
        if ap.startswith(self.cwd + os.sep):
            return os.path.relpath(ap, self.cwd)
        return ap


def _source(path, line):
    try:
        return linecache.getline(path, line).strip()
    except Exception:
        return ""


def _frame_dict(paths, path, line):
    return {"path": paths.rel(path), "line": line,
            "source": _source(path, line)}


def _site_frame(paths, frames):
    """Of frames (most recent first), the first in the user's project,
    else the first at all."""
    for path, line in frames:
        if paths.user(path):
            return path, line
    return frames[0] if frames else (None, 0)


# -- small helpers ---------------------------------------------------------

def _type_name(tp):
    mod = getattr(tp, "__module__", None)
    qual = getattr(tp, "__qualname__", None) or getattr(tp, "__name__", "?")
    if mod in (None, "builtins", "__main__") or not isinstance(mod, str):
        return qual
    return mod + "." + qual


def _short_repr(obj, limit=40):
    try:
        text = repr(obj)
    except Exception:
        text = "<%s>" % type(obj).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _exc_line(exc):
    try:
        text = str(exc).strip().splitlines()
    except Exception:
        text = []
    name = type(exc).__name__
    return name + ": " + text[0] if text else name


def _fds():
    out = {}
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return out
    for name in names:
        try:
            out[int(name)] = os.readlink("/proc/self/fd/" + name)
        except (OSError, ValueError):
            pass  # the listing's own descriptor, closed by now
    return out


def _tasks():
    out = {}
    try:
        names = os.listdir("/proc/self/task")
    except OSError:
        return out
    for name in names:
        try:
            with open("/proc/self/task/%s/comm" % name) as f:
                out[int(name)] = f.read().strip()
        except (OSError, ValueError):
            pass
    return out


def _atexit_count():
    atexit = sys.modules.get("atexit")
    fn = getattr(atexit, "_ncallbacks", None)
    try:
        return fn() if fn is not None else 0
    except Exception:
        return 0


# -- one pass of the re-run ------------------------------------------------

class _Ctx:
    def __init__(self, harness, call, k, info):
        self.harness = harness
        self.call = call
        self.k = self.k0 = max(int(k), 1)
        self.info = info
        self.metrics = info.get("metrics", {})
        self.depth = max(int(info.get("depth", 16)), 1)
        self.paths = _Paths(info.get("test_file"))
        self.t0 = time.monotonic()
        self.budget = float(info.get("budget", BUDGET))
        self.rounds = min(max(4, -(-MIN_CALLS // self.k)), MAX_ROUNDS)
        self.notes = []
        self.failed = None
        self.own = set()   # ids of this module's own containers

    def elapsed(self):
        return time.monotonic() - self.t0

    def out_of_time(self):
        return self.elapsed() > self.budget

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    def leaks(self, metric):
        return self.metrics.get(metric, ("", 0.0))[0] == "leak"

    def per_call(self, metric):
        return self.metrics.get(metric, ("", 0.0))[1]

    def calls(self, done_rounds):
        return max(done_rounds, 1) * self.k

    def cleanup(self, cleaner):
        # Allocation sites are told from the cleanup's own by this
        # function's lines on their stack (see _cleanup_lines).
        cleaner()
        self.harness.collect()

    def one_round(self, cleaner, before_cleanup=None, warm_up=False):
        for _ in range(self.k):
            if warm_up and self.out_of_time():
                raise _OutOfTime()
            res = self.call()
            if res is not None:
                raise _TestFailed(res)
        if before_cleanup is not None:
            before_cleanup()
        self.cleanup(cleaner)

    def fit_calls(self):
        """Call the test once, timed, and lower the pass's calls per round
        when its warm-up and rounds would not fit the time left at that
        pace: tracing makes calls slower, and a test whose state grows
        (a list it appends to on every call) gets slower with each."""
        self.k = self.k0
        t0 = time.monotonic()
        res = self.call()
        if res is not None:
            raise _TestFailed(res)
        per_call = time.monotonic() - t0
        left = self.budget - self.elapsed()
        if per_call <= 0.0:
            return
        fit = int(left / (per_call * (self.rounds + 1)))
        if fit < self.k:
            self.k = max(fit, 1)
            self.note("calls per round lowered from %d to %d to fit the "
                      "time budget (%.3fs per call)" % (
                          self.k0, self.k, per_call))

    def passes(self, cleaner, after_round, before_cleanup=None):
        """A timed call (see fit_calls), a warm-up round, then measured
        rounds while time allows; after_round(i) runs after each (0 is
        the warm-up), before_cleanup between a round's calls and its
        cleanup. Returns how many measured rounds ran."""
        self.fit_calls()
        self.one_round(cleaner, before_cleanup, warm_up=True)
        after_round(0)
        done = 0
        for i in range(1, self.rounds + 1):
            if self.out_of_time():
                self.note("time budget of %.0fs reached after %d of %d "
                          "rounds" % (self.budget, done, self.rounds))
                break
            self.one_round(cleaner, before_cleanup)
            after_round(i)
            done = i
        if done == 0:
            raise _OutOfTime()
        return done


# -- pass 1: objects, containers, descriptors, threads, holders -----------

_CONTAINERS = (dict, list, set, bytearray, collections.deque)


def _lru_type():
    return type(functools.lru_cache(maxsize=None)(lambda: None))


def _size_of(obj, lru):
    if type(obj) is lru:
        try:
            return obj.cache_info().currsize
        except Exception:
            return None
    try:
        return len(obj)
    except Exception:
        return None


def _scan_containers(lru, skip):
    """Every container of the heap and its length, but for those whose
    id is in skip (this module's own). Untracked ones (a dict of only
    strings and ints, a bytearray) are not in the collector's lists;
    those held by module globals and class attributes are found through
    them."""
    objs, lens, seen = [], [], set(skip)
    seen.update((id(objs), id(lens), id(seen)))

    def add(o):
        if id(o) in seen:
            return
        n = _size_of(o, lru)
        if n is not None:
            seen.add(id(o))
            objs.append(o)
            lens.append(n)

    for o in gc.get_objects():
        if isinstance(o, _CONTAINERS) or type(o) is lru:
            add(o)
    for m in list(sys.modules.values()):
        d = getattr(m, "__dict__", None)
        if isinstance(d, dict):
            for v in list(d.values()):
                if isinstance(v, _CONTAINERS) and not gc.is_tracked(v):
                    add(v)
                elif isinstance(v, type):
                    for a in list(vars(v).values()):
                        if isinstance(a, _CONTAINERS) and \
                                not gc.is_tracked(a):
                            add(a)
    return objs, lens


def _type_counts(skip):
    counts = {}
    for o in gc.get_objects():
        if id(o) in skip:
            continue
        tp = type(o)
        counts[tp] = counts.get(tp, 0) + 1
    return counts


class _CallSites:
    """Remembers the line of the test's code each recorded call came from,
    by key, while installed: only during the re-run. Functions are
    wrapped by attribute and put back by remove(). A key keeps its first
    site, or its latest when the subclass sets LATEST (descriptors, whose
    numbers are reused)."""

    LATEST = False

    def __init__(self, paths):
        self.paths = paths
        self.sites = {}     # key -> "path\0line"
        self.undo = []

    def _keep(self, key, depth):
        """Record for key the first frame of the test's code depth frames
        above the caller of _keep."""
        if not self.LATEST and key in self.sites:
            return
        site = _first_user_frame(self.paths, sys._getframe(depth + 1))
        if site is not None:
            # A string, not a tuple: nothing the object counts see.
            self.sites[key] = "%s\0%d" % site

    def _wrap(self, owner, name, keys_of):
        """Wrap owner.name; keys_of(result, args, kwargs) gives the keys
        a call made (an iterable, possibly empty)."""
        orig = getattr(owner, name, None)
        if orig is None:
            return
        keep = self._keep

        def wrapper(*a, **kw):
            res = orig(*a, **kw)
            try:
                for key in keys_of(res, a, kw):
                    keep(key, 1)
            except Exception:
                pass
            return res
        wrapper.__wrapped__ = orig
        setattr(owner, name, wrapper)
        self.undo.append((owner, name, orig))

    def remove(self):
        while self.undo:
            owner, name, orig = self.undo.pop()
            setattr(owner, name, orig)

    def _site(self, key):
        s = self.sites.get(key)
        if s is None:
            return None
        path, _, line = s.rpartition("\0")
        return path, int(line)


class _StartSites(_CallSites):
    """Remembers where Thread.start was called, keyed by the thread's
    id."""

    LATEST = True

    def install(self):
        self._wrap(threading.Thread, "start",
                   lambda r, a, kw: [id(a[0])])


class _TaskSites(_CallSites):
    """Remembers where asyncio tasks, futures and event loops were made
    (BaseEventLoop.create_task, create_future and __init__, which
    asyncio.create_task, ensure_future and new_event_loop go through),
    keyed by their id; only when the test has imported asyncio."""

    LATEST = True

    def install(self):
        asyncio = sys.modules.get("asyncio")
        base = getattr(asyncio, "BaseEventLoop", None)
        if base is None:
            return
        self._wrap(base, "create_task", lambda r, a, kw: [id(r)])
        self._wrap(base, "create_future", lambda r, a, kw: [id(r)])
        self._wrap(base, "__init__", lambda r, a, kw: [id(a[0])])

    def site(self, obj):
        return self._site(id(obj))


def _is_future(obj):
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(obj, asyncio.Future)


def _is_loop(obj):
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(obj,
                                              asyncio.AbstractEventLoop)


def _loop_text(loop):
    if loop is None:
        return None
    state = "closed" if loop.is_closed() else \
        "running" if loop.is_running() else "not running"
    return "%s (%s)" % (_type_name(type(loop)), state)


def _async_findings(ctx, objs, sites):
    """The pending tasks and futures, and the event loops never closed,
    among objs (what the re-run left), each with where it was made."""
    tasks, loops = [], []
    for o in objs:
        try:
            if _is_future(o):
                if o.done():
                    continue
                coro = getattr(o, "get_coro", None)
                coro = coro() if coro is not None else None
                site = sites.site(o)
                where = "create"
                if site is None and coro is not None and \
                        getattr(coro, "cr_code", None) is not None:
                    site = (coro.cr_code.co_filename,
                            coro.cr_code.co_firstlineno)
                    where = "coroutine"
                get_loop = getattr(o, "get_loop", None)
                tasks.append({
                    "type": _type_name(type(o)),
                    "coro": getattr(coro, "__qualname__", None),
                    "state": "cancelling" if getattr(
                        o, "cancelling", lambda: 0)() else "pending",
                    "created_at": _frame_dict(ctx.paths, *site)
                    if site else None,
                    "site_from": where if site else None,
                    "loop": _loop_text(get_loop() if get_loop else None)})
            elif _is_loop(o) and not o.is_closed():
                site = sites.site(o)
                loops.append({
                    "type": _type_name(type(o)), "closed": False,
                    "running": o.is_running(),
                    "created_at": _frame_dict(ctx.paths, *site)
                    if site else None})
        except Exception:
            continue
    return tasks, loops


class _EnvSites(_CallSites):
    """Remembers where the environment was added to (os.environ items,
    logging handlers, atexit callbacks, signal handlers), keyed by (what,
    key). sys.path and the import hooks are plain lists, whose changes
    have no call to wrap."""

    def install(self):
        import atexit
        self._wrap(type(os.environ), "__setitem__",
                   lambda r, a, kw: [("os.environ", str(a[1]))])
        self._wrap(atexit, "register",
                   lambda r, a, kw: [("atexit", _callable_name(a[0]))])
        logging = sys.modules.get("logging")
        if logging is not None:
            self._wrap(logging.Logger, "addHandler",
                       lambda r, a, kw: [("logging", "%s: %s" % (
                           a[0].name, _short_repr(a[1])))])
        signal = sys.modules.get("signal")
        if signal is not None:
            self._wrap(signal, "signal",
                       lambda r, a, kw: [("signal",
                                          _signal_name(signal, a[0]))])

    def site(self, what, key):
        return self._site((what, key))


def _signal_name(signal, num):
    try:
        return signal.Signals(num).name
    except Exception:
        return str(num)


def _env_snapshot():
    """What environment() counts, as names that can be told apart."""
    snap = {"os.environ": {str(k): str(v) for k, v in os.environ.items()},
            "sys.path": list(map(str, sys.path)),
            "sys.meta_path": [_short_repr(x, 80) for x in sys.meta_path],
            "sys.path_hooks": [_short_repr(x, 80) for x in sys.path_hooks]}
    logging = sys.modules.get("logging")
    handlers = []
    if logging is not None:
        loggers = [logging.root] + [
            lg for lg in list(logging.Logger.manager.loggerDict.values())
            if isinstance(lg, logging.Logger)]
        for lg in loggers:
            handlers.extend("%s: %s" % (lg.name, _short_repr(h))
                            for h in list(lg.handlers))
    snap["logging"] = handlers
    snap["atexit"] = _atexit_count()
    signal = sys.modules.get("signal")
    sigs = {}
    if signal is not None:
        for num in signal.valid_signals():
            try:
                sigs[_signal_name(signal, num)] = _callable_name(
                    signal.getsignal(num))
            except Exception:
                pass
    snap["signal"] = sigs
    try:
        snap["cwd"] = os.getcwd()
        snap["cwd entries"] = sorted(os.listdir(snap["cwd"]))
    except OSError:
        snap["cwd"], snap["cwd entries"] = None, []
    snap["streams"] = [name for name in ("stdout", "stderr")
                       if getattr(sys, name) is not getattr(
                           sys, "__%s__" % name)]
    return snap


def _env_findings(ctx, before, after, sites, calls):
    """[{what, added, count, per_call, added_at}] of what accumulated in
    the environment between two snapshots."""
    found = []

    def add(what, items, site_key=None):
        items = list(items)
        if not items:
            return
        at = None
        for item in items:
            site = sites.site(what, site_key(item) if site_key else item)
            if site is not None:
                at = _frame_dict(ctx.paths, *site)
                break
        found.append({"what": what, "added": items[:10],
                      "count": len(items),
                      "per_call": round(len(items) / calls, 3),
                      "added_at": at})

    env0, env1 = before["os.environ"], after["os.environ"]
    add("os.environ", ["%s=%s" % (k, _short_repr(env1[k], 30)[1:-1])
                       for k in env1 if k not in env0],
        lambda item: item.split("=", 1)[0])
    for what in ("sys.path", "sys.meta_path", "sys.path_hooks", "logging",
                 "cwd entries"):
        rest = collections.Counter(before[what])
        new = []
        for x in after[what]:
            if rest[x] > 0:
                rest[x] -= 1
            else:
                new.append(x)
        add(what if what != "cwd entries" else "cwd", new)
    grown = after["atexit"] - before["atexit"]
    if grown > 0:
        names = sorted({k for w, k in sites.sites if w == "atexit"})
        at = None
        for n in names:
            site = sites.site("atexit", n)
            if site is not None:
                at = _frame_dict(ctx.paths, *site)
                break
        found.append({"what": "atexit", "added": names[:10],
                      "count": grown, "per_call": round(grown / calls, 3),
                      "added_at": at})
    add("signal", ["%s -> %s" % (k, v) for k, v in after["signal"].items()
                   if before["signal"].get(k) != v],
        lambda item: item.split(" -> ", 1)[0])
    if after["cwd"] != before["cwd"]:
        found.append({"what": "cwd", "added": [after["cwd"]], "count": 1,
                      "per_call": 0.0, "added_at": None})
    add("streams", [s for s in after["streams"]
                    if s not in before["streams"]])
    found.sort(key=lambda f: -f["count"])
    return found


def _first_user_frame(paths, f):
    """(path, line) of the first frame from f outwards in the user's
    project, else the first outside pyleak-ci and the import system."""
    first = None
    while f is not None:
        fn = f.f_code.co_filename
        if paths.user(fn):
            return fn, f.f_lineno
        if first is None and not _machinery(fn):
            first = (fn, f.f_lineno)
        f = f.f_back
    return first


class _OpenSites(_CallSites):
    """Remembers where descriptors were opened (os.open, os.pipe, os.dup,
    open(), sockets), keyed by number: the latest open of a number."""

    LATEST = True

    def install(self):
        import builtins
        import io
        def valid(fds):
            return [fd for fd in fds if isinstance(fd, int) and fd >= 0]
        self._wrap(os, "open", lambda fd, a, kw: valid((fd,)))
        self._wrap(os, "pipe", lambda fds, a, kw: valid(fds))
        self._wrap(os, "dup", lambda fd, a, kw: valid((fd,)))
        self._wrap(builtins, "open", lambda f, a, kw: valid((f.fileno(),)))
        self._wrap(io, "open", lambda f, a, kw: valid((f.fileno(),)))
        sock = sys.modules.get("socket")
        if sock is not None:
            # __init__ returns None: the descriptor is its first argument's.
            self._wrap(sock.socket, "__init__",
                       lambda r, a, kw: valid((a[0].fileno(),)))

    def site(self, fd):
        return self._site(fd)


class _CreateSites(_CallSites):
    """Remembers where files and folders in the temporary directory were
    created (os.mkdir, os.open with O_CREAT, open() for writing; the
    tempfile functions and pathlib go through these; os.rename,
    os.replace, os.link and os.symlink for the name they make, so that a
    file written under another name and then moved has the line that
    moved it), while installed: only during the re-run. Wrappers rather
    than an audit hook, which could never be removed and would run for
    every later test."""

    def __init__(self, paths, root):
        super().__init__(paths)
        self.root = root.rstrip(os.sep) + os.sep

    def _made(self, target):
        """The absolute name of target when it is under root, as a list
        of keys."""
        if target is None:
            return []
        name = os.path.abspath(os.fsdecode(target))
        return [name] if name.startswith(self.root) else []

    def install(self):
        import builtins
        import io

        # Each returns the name the call made, or None.
        def first(a, kw):
            return a[0] if a else kw.get("path")

        def writes(a, kw):
            mode = a[1] if len(a) > 1 else kw.get("mode", "r")
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                return a[0] if a else kw.get("file")
            return None

        def creates(a, kw):
            flags = a[1] if len(a) > 1 else kw.get("flags", 0)
            return first(a, kw) if flags & os.O_CREAT else None

        def second(a, kw):
            return a[1] if len(a) > 1 else kw.get("dst")
        for name, owner, target in (("mkdir", os, first),
                                    ("open", os, creates),
                                    ("open", builtins, writes),
                                    ("open", io, writes),
                                    ("rename", os, second),
                                    ("replace", os, second),
                                    ("link", os, second),
                                    ("symlink", os, second)):
            self._wrap(owner, name,
                       lambda r, a, kw, t=target: self._made(t(a, kw)))

    def site(self, name):
        """(path, line) where name, or the nearest folder above it in the
        temporary directory, was created."""
        while name.startswith(self.root):
            found = self._site(name)
            if found is not None:
                return found
            name = os.path.dirname(name)
        return None


def _tmp_root():
    """The tests' temporary directory, when it is pyleak-ci's own (the
    run's TMPDIR for this worker), else None."""
    import tempfile
    root = tempfile.gettempdir()
    parent = os.path.basename(os.path.dirname(root.rstrip(os.sep)))
    return root if parent.startswith("pyleak-ci.") else None


def _tmp_tree(root, limit=100000):
    """{relative path: (kind, bytes)} of everything under root."""
    out = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(top, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            kind = "dir" if stat.S_ISDIR(st.st_mode) else \
                "link" if stat.S_ISLNK(st.st_mode) else "file"
            out[os.path.relpath(full, root)] = (
                kind, st.st_size if kind == "file" else 0)
            if len(out) >= limit:
                return out
    return out


def _tmp_findings(ctx, root, before, creates, calls):
    """What the re-run left in the temporary directory: new entries,
    and files that grew, each with where it was made."""
    after = _tmp_tree(root)
    found = []
    for rel, (kind, size) in sorted(after.items()):
        old = before.get(rel)
        if old is not None and (old[0] != "file" or size <= old[1]):
            continue
        # Inside a folder that is new itself: the folder says it.
        parent = os.path.dirname(rel)
        if old is None and parent and parent not in before:
            continue
        site = creates.site(os.path.join(root, rel))
        entry = {"path": rel, "type": kind, "bytes": size,
                 "created_at": _frame_dict(ctx.paths, *site) if site
                 else None}
        if old is not None:
            entry["grew_per_call"] = round((size - old[1]) / calls, 1)
        found.append(entry)
    return found


def _children():
    """The pids of this process's children, running or not yet waited
    for, as the procs metric counts them."""
    out = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/self/task/%s/children" % t) as f:
                out.update(int(p) for p in f.read().split())
        except (OSError, ValueError):
            pass  # the thread has just ended
    return out


def _reap_deferred():
    """What the harness does before reading procs: subprocess waits for
    the children of the Popen objects already gone only at its next
    Popen, so those are not children a test left."""
    sp = sys.modules.get("subprocess")
    if sp is not None:
        try:
            sp._cleanup()
        except Exception:
            pass


def _proc_info(pid):
    """(command line, "running" or "zombie") of a child, from /proc."""
    cmd, state = "", "running"
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        # The name is in parentheses and may hold any character; the
        # state is the first field after the last ")".
        name = stat[stat.find("(") + 1:stat.rfind(")")]
        fields = stat[stat.rfind(")") + 1:].split()
        if fields and fields[0] in ("Z", "X"):
            state = "zombie"
        cmd = "[%s]" % name
    except OSError:
        state = "zombie"
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read(4096)
        args = [a.decode("utf-8", "replace")
                for a in raw.rstrip(b"\0").split(b"\0")]
        if raw.strip(b"\0"):
            cmd = " ".join(args)
    except OSError:
        pass    # a zombie's command line is empty: its name stands in
    return cmd, state


def _end_children(pids):
    """Kill and wait for the children the re-run left, so that the
    diagnosis adds none of its own to what the test leaks; a Popen that
    polls one of them later finds it gone, as after any other wait."""
    import signal
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass    # reaped by someone else meanwhile


class _ChildSites(_CallSites):
    """Remembers where child processes were started, while installed:
    only during the re-run.

    Restorable wrappers rather than an audit hook: the audit events of
    subprocess.Popen and os.fork are raised before the child exists, so
    they carry no pid to match a child to, and a hook added with
    sys.addaudithook stays for the life of the process, on every event
    of every later test. Wrapped are Popen._execute_child (Popen.pid is
    set once it returns: every Popen, asyncio's too), os.fork and
    os.forkpty (their return value in the parent), os.posix_spawn and
    os.posix_spawnp, and multiprocessing's BaseProcess.start (its pid
    once started, whatever the start method). The os.exec* functions
    start no process: they replace the one that calls them, so a child
    that execs keeps the pid its fork was recorded with. A wrapper sees
    only calls made through the attribute (os.fork(), not a fork
    imported by name before the re-run)."""

    @staticmethod
    def _pid(pid):
        return [pid] if isinstance(pid, int) and pid > 0 else []

    def install(self):
        pid = self._pid
        self._wrap(os, "fork", lambda r, a, kw: pid(r))
        self._wrap(os, "forkpty", lambda r, a, kw: pid(r[0]))
        self._wrap(os, "posix_spawn", lambda r, a, kw: pid(r))
        self._wrap(os, "posix_spawnp", lambda r, a, kw: pid(r))
        sp = sys.modules.get("subprocess")
        if sp is not None and hasattr(sp.Popen, "_execute_child"):
            self._wrap(sp.Popen, "_execute_child",
                       lambda r, a, kw: pid(getattr(a[0], "pid", None)))
        mp = sys.modules.get("multiprocessing.process")
        if mp is not None:
            self._wrap(mp.BaseProcess, "start",
                       lambda r, a, kw: pid(getattr(a[0], "pid", None)))

    def site(self, pid):
        return self._site(pid)


def _objects_pass(ctx, out):
    harness = ctx.harness
    lru = _lru_type()
    cleaner = harness.Cleaner()
    gc.unfreeze()
    try:
        harness.collect()
        ctx.own.update((id(ctx.own), id(ctx.notes), id(ctx.paths._memo),
                        id(ctx.metrics), id(ctx.info), id(out)))
        cont_objs, cont_lens = _scan_containers(lru, ctx.own)
        fds0 = _fds()
        threads0 = {id(t) for t in threading.enumerate()}
        tasks0 = _tasks()
        atexit0 = _atexit_count()
        want_tmp = ctx.leaks("tmpfiles") or ctx.leaks("tmpbytes")
        tmp_root = _tmp_root() if want_tmp else None
        tmp0 = _tmp_tree(tmp_root) if tmp_root else None
        want_env = ctx.leaks("env")
        env0 = _env_snapshot() if want_env else None
        want_procs = ctx.leaks("procs")
        if want_procs:
            _reap_deferred()
            procs0 = _children()
    finally:
        gc.freeze()
    ctx.own.update((id(cont_objs), id(cont_lens)))
    counts = []
    made = {}   # id -> type of what the test left before a cleanup
    starts = _StartSites(ctx.paths)
    opens = _OpenSites(ctx.paths)
    asyncs = _TaskSites(ctx.paths)
    creates = _CreateSites(ctx.paths, tmp_root or os.sep + "\0")
    spawns = _ChildSites(ctx.paths)
    envs = _EnvSites(ctx.paths)
    starts.install()
    opens.install()
    if tmp_root:
        creates.install()
    if want_procs:
        spawns.install()
    asyncs.install()
    if want_env:
        envs.install()
    try:
        def after(i):
            if i == 0:
                counts.append(_type_counts(ctx.own))
                ctx.own.add(id(counts[0]))

        def before_cleanup():
            # The cache restore rebuilds a few objects every round
            # (ctypes' pointer types): samples must be the test's.
            made.clear()
            for o in gc.get_objects():
                made[id(o)] = type(o)
        ctx.own.update((id(counts), id(made)))
        done = ctx.passes(cleaner, after, before_cleanup)
    finally:
        envs.remove()
        asyncs.remove()
        spawns.remove()
        creates.remove()
        opens.remove()
        starts.remove()
    final = _type_counts(ctx.own)
    calls = ctx.calls(done)
    out["rounds"] = done
    out["calls_per_round"] = ctx.k

    # Types that grow, and a sample of each: the newest of its kind.
    grow = []
    for tp, n in final.items():
        d = n - counts[0].get(tp, 0)
        if d >= 2 and d / calls >= 0.1:
            grow.append((d / calls, tp))
    grow.sort(key=lambda x: (-x[0], _type_name(x[1])))
    out["types"] = [{"type": _type_name(tp), "per_call": round(pc, 3)}
                    for pc, tp in grow[:10]]
    final = counts = None
    # Pending tasks and futures, and loops left open, when their types
    # are among those that grow.
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and any(
            issubclass(tp, (asyncio.Future, asyncio.AbstractEventLoop))
            for _, tp in grow):
        left = [o for o in gc.get_objects() if id(o) not in ctx.own and
                (_is_future(o) or _is_loop(o))]
        out["tasks"], out["loops"] = _async_findings(ctx, left, asyncs)
        del left
    # Samples: the newest leaked object of the most telling types, the
    # test's own classes before the interpreter's plumbing.
    samples = []
    import weakref
    want = [tp for _, tp in sorted(grow, key=lambda x: (
        tp_plumbing(x[1]), -x[0])) if not issubclass(tp, weakref.ref)]
    want = want[:MAX_SAMPLES]
    if want:
        newest = {}
        objs = gc.get_objects()
        for o in objs:
            tp = type(o)
            if tp in want and id(o) not in ctx.own and \
                    made.get(id(o)) is tp:
                q = newest.get(tp)
                if q is None:
                    q = newest[tp] = collections.deque(maxlen=CANDIDATES)
                q.append(o)
        del objs, o
        q = None
        # Newest first: a few candidates per type, so that one object
        # the interpreter happens to hold in C does not stand for all.
        samples = [list(reversed(newest[tp])) for tp in want
                   if tp in newest]
        del newest
    made.clear()
    # Classes and modules the re-run made are not roots: what holds
    # them is the answer.
    fresh = set()
    for o in gc.get_objects():
        if isinstance(o, type):
            fresh.add(id(o))
        elif isinstance(o, types.ModuleType):
            fresh.add(id(o))
            fresh.add(id(getattr(o, "__dict__", None)))

    # Children, descriptors and threads the re-run left behind, read
    # once the objects are counted (the lists made here are not the
    # test's).
    if want_procs:
        _processes(ctx, out, procs0, spawns)
    fds1 = _fds()
    out["fds"] = []
    for fd, tgt in sorted(fds1.items()):
        if fd not in fds0:
            site = opens.site(fd)
            out["fds"].append({
                "fd": fd, "target": tgt,
                "opened_at": _frame_dict(ctx.paths, *site) if site
                else None})
    new_threads = [t for t in threading.enumerate() if id(t) not in threads0]
    tasks1 = _tasks()
    idents = {getattr(t, "native_id", None) for t in threading.enumerate()}
    threads = []
    for t in new_threads:
        target = getattr(t, "_target", None)
        site = starts.sites.get(id(t))
        if site is not None:
            path, _, line = site.rpartition("\0")
            site = (path, int(line))
        threads.append({
            "name": t.name, "ident": t.ident, "daemon": t.daemon,
            "target": _callable_name(target) if target is not None
            else _type_name(type(t)) + ".run",
            "started_at": _frame_dict(ctx.paths, *site) if site else None})
    for tid, comm in sorted(tasks1.items()):
        if tid not in tasks0 and tid not in idents:
            threads.append({"name": comm, "tid": tid, "native": True})
    out["threads"] = threads
    del new_threads
    if want_env:
        out["environment"] = _env_findings(ctx, env0, _env_snapshot(), envs,
                                           calls + ctx.k + 1)
        env0 = None
    if tmp_root:
        out["tmpfiles"] = _tmp_findings(ctx, tmp_root, tmp0, creates,
                                        calls + ctx.k + 1)
        tmp0 = None
    # Containers and registries were measured before the timed call and
    # the warm-up round.
    all_calls = calls + ctx.k + 1
    grown = _atexit_count() - atexit0
    out["registries"] = []
    if grown > 0:
        out["registries"].append({"name": "atexit callbacks",
                                  "per_call": round(grown / all_calls, 3)})

    # Holders, with the whole heap visible again.
    gc.unfreeze()
    try:
        growing = []
        for o, n in zip(cont_objs, cont_lens):
            m = _size_of(o, lru)
            if m is not None and m - n >= 2 and \
                    (m - n) / all_calls >= 0.1:
                growing.append(((m - n) / all_calls, o))
        growing.sort(key=lambda x: -x[0])
        o = None
        del cont_objs, cont_lens
        # Cut in place: a second list of the same tuples would be a
        # referrer the search does not know to skip.
        del growing[MAX_SAMPLES:]
        out["holders"] = _holders(ctx, samples, growing, lru, fresh,
                                  out["registries"])
    finally:
        gc.freeze()


def _processes(ctx, out, before, spawns):
    """out["processes"]: the children the re-run left (not those of
    before), with where each was started."""
    _reap_deferred()
    new = sorted(_children() - before)
    procs = []
    for pid in new:
        cmd, state = _proc_info(pid)
        site = spawns.site(pid)
        procs.append({
            "pid": pid, "cmdline": cmd, "state": state,
            "started_at": _frame_dict(ctx.paths, *site) if site else None})
    out["processes"] = procs


_PLUMBING = (tuple, list, dict, set, frozenset, types.FrameType,
             types.TracebackType, types.CellType, types.FunctionType,
             types.MethodType, types.BuiltinFunctionType, types.CodeType,
             type(threading.Lock()), collections.deque)


def tp_plumbing(tp):
    """The interpreter's building blocks, which say less about a leak
    than the class of the object they belong to."""
    import weakref
    return tp in _PLUMBING or issubclass(tp, weakref.ref)


def _callable_name(fn):
    self_ = getattr(fn, "__self__", None)
    func = getattr(fn, "__func__", fn)
    name = getattr(func, "__qualname__", None) or _short_repr(func)
    mod = getattr(func, "__module__", None)
    if self_ is not None and not isinstance(self_, types.ModuleType) and \
            getattr(func, "__qualname__", None) is None:
        name = _type_name(type(self_)) + "." + getattr(func, "__name__", "?")
    return (mod + "." + name) if isinstance(mod, str) and \
        mod != "builtins" else name


# -- holder search ---------------------------------------------------------

class _Graph:
    """What the holder searches share: roots and what to ignore."""

    def __init__(self, ctx, lru):
        self.ctx = ctx
        self.lru = lru
        self.deadline = time.monotonic() + HOLDER_SECONDS
        self.moddicts = {}
        for name, m in list(sys.modules.items()):
            d = getattr(m, "__dict__", None)
            if isinstance(d, dict):
                self.moddicts[id(d)] = m
        # Running threads' frames become objects the search can meet.
        self.frames = {}
        me = threading.get_ident()
        names = {t.ident: t.name for t in threading.enumerate()}
        current = sys._current_frames()
        for tid, f in current.items():
            if tid == me:
                continue
            while f is not None:
                self.frames[id(f)] = (names.get(tid, str(tid)), f)
                f = f.f_back
        del current
        self.ignore = set(ctx.own) | {id(self.frames), id(self.moddicts)}
        self.fresh = set()

    def own_frame(self, o):
        if isinstance(o, types.FrameType):
            return o.f_code.co_filename == _OWN_FILE and \
                id(o) not in self.frames
        return False

    def is_root(self, o):
        if id(o) in self.fresh:
            return False
        return (id(o) in self.moddicts or o is sys.modules or
                isinstance(o, type) or id(o) in self.frames)

    def search(self, target):
        """Back through referrers from target to a root: (status, path)
        with path the objects from the root (or farthest holder) down to
        target."""
        objs = {id(target): target}
        down = {id(target): None}
        frontier = [target]
        last = [target]
        cut = False
        for _ in range(HOLDER_DEPTH):
            if time.monotonic() > self.deadline or \
                    len(objs) > HOLDER_VISITS:
                return "limit", self._path(objs, down, last[0])
            args = tuple(frontier)
            fids = {id(o) for o in frontier}
            refs = gc.get_referrers(*args)
            skip = self.ignore | {id(objs), id(down), id(frontier),
                                  id(args), id(refs), id(last)}
            nxt = []
            for r in refs:
                rid = id(r)
                if rid in objs or rid in skip or self.own_frame(r) or \
                        not _pyleak_interp.referents_safe(r):
                    continue
                child = None
                for c in gc.get_referents(r):
                    if id(c) in fids:
                        child = c
                        break
                if child is None:
                    continue
                objs[rid] = r
                down[rid] = id(child)
                if self.is_root(r):
                    return "root", self._path(objs, down, r)
                nxt.append(r)
            del refs, args
            if not nxt:
                if len(objs) == 1:
                    return "unreferenced", [target]
                # Holders left out of a cut level may have led on.
                return "limit" if cut else "native", \
                    self._path(objs, down, last[0])
            # gc.get_referrers compares every reference in the heap with
            # every object asked about: a wide level costs heap x width.
            # One list, in skip at the next level: a second one holding
            # the same objects would show up as their referrer. When it
            # must be cut, dicts go first: a global or a class attribute
            # is reached through its module's or class's dict, while the
            # many objects sharing one attribute value lead nowhere new.
            if len(nxt) > HOLDER_WIDTH:
                nxt.sort(key=lambda o: type(o) is not dict)
                del nxt[HOLDER_WIDTH:]
                cut = True
            frontier = last = nxt
        return "limit", self._path(objs, down, last[0])

    @staticmethod
    def _path(objs, down, top):
        path = [top]
        nid = down.get(id(top))
        while nid is not None:
            path.append(objs[nid])
            nid = down.get(nid)
        return path

    # -- naming the steps -------------------------------------------------

    def edge(self, parent, child):
        try:
            return self._edge(parent, child)
        except Exception:
            return "referent"

    def _edge(self, parent, child):
        if type(parent) is self.lru:
            return "cache"
        if isinstance(parent, dict):
            for k, v in parent.items():
                if v is child:
                    if isinstance(k, (str, int, float, bool)) or k is None:
                        return "value of %s" % _short_repr(k)
                    return "value of a %s key" % _type_name(type(k))
                if k is child:
                    return "key"
            return "in dict"
        if isinstance(parent, (list, tuple, collections.deque)):
            for i, v in enumerate(parent):
                if v is child:
                    return "item [%d]" % i
            return "item"
        if isinstance(parent, (set, frozenset)):
            return "member"
        if isinstance(parent, types.FrameType):
            for name, v in parent.f_locals.items():
                if v is child:
                    return "local '%s'" % name
            if parent.f_back is child:
                return "f_back"
            return "frame"
        if isinstance(parent, types.CellType):
            return "cell contents"
        if isinstance(parent, BaseException):
            for name in ("__traceback__", "__context__", "__cause__",
                         "args"):
                if getattr(parent, name, None) is child:
                    return name
        if isinstance(parent, types.TracebackType):
            for name in ("tb_frame", "tb_next"):
                if getattr(parent, name, None) is child:
                    return name
        if isinstance(parent, types.FrameType) and parent.f_back is child:
            return "f_back"
        if isinstance(parent, types.MethodType):
            return "__self__" if parent.__self__ is child else "__func__"
        if isinstance(parent, types.FunctionType):
            for name in ("__closure__", "__defaults__", "__kwdefaults__",
                         "__globals__", "__dict__"):
                if getattr(parent, name, None) is child:
                    return name
        if isinstance(parent, type):
            if isinstance(child, dict) and "__module__" in child:
                return "__dict__"
            for name in ("__mro__", "__bases__", "__base__"):
                if getattr(parent, name, None) is child:
                    return name
            return "referent"
        d = getattr(parent, "__dict__", None)
        if isinstance(d, dict):
            if d is child:
                return "__dict__"
            for k, v in d.items():
                if v is child:
                    return "." + str(k)
        for klass in type(parent).__mro__:
            for name in getattr(klass, "__slots__", ()) or ():
                if isinstance(name, str) and \
                        getattr(parent, name, None) is child:
                    return "." + name
        return "referent"

    def module_label(self, m):
        f = getattr(m, "__file__", None)
        if isinstance(f, str) and self.ctx.paths.user(f):
            return self.ctx.paths.rel(f)
        return getattr(m, "__name__", "?")

    def _key(self, parent, child):
        """The name under which a dict holds child: 'x' for value of 'x'."""
        e = self.edge(parent, child)
        if e.startswith("value of "):
            e = e[len("value of "):]
            if len(e) >= 2 and e[0] == e[-1] and e[0] in "'\"":
                e = e[1:-1]
        return e

    def _head(self, path):
        """How a chain that reached a root starts: (text, root name, index
        of the last object that text covers)."""
        top, nxt = path[0], path[1]
        if id(top) in self.moddicts:
            m = self.moddicts[id(top)]
            name = self._key(top, nxt)
            return ("%s: %s (%s)" % (self.module_label(m), name,
                                     _type_name(type(nxt))),
                    "%s.%s" % (getattr(m, "__name__", "?"), name), 1)
        if top is sys.modules:
            name = self.edge(top, nxt)
            name = name[len("value of "):] if name.startswith("value of ") \
                else name
            return ("sys.modules[%s] (%s)" % (name, _type_name(type(nxt))),
                    "sys.modules[%s]" % name, 1)
        if isinstance(top, type):
            mod = sys.modules.get(getattr(top, "__module__", None) or "")
            label = self.module_label(mod) if mod is not None else \
                str(getattr(top, "__module__", "?"))
            if len(path) >= 3 and self.edge(top, nxt) == "__dict__":
                attr = self._key(nxt, path[2])
                return ("%s: %s.%s (%s)" % (label, top.__qualname__, attr,
                                            _type_name(type(path[2]))),
                        "%s.%s.%s" % (getattr(top, "__module__", "?"),
                                      top.__qualname__, attr), 2)
            return ("%s: class %s" % (label, top.__qualname__),
                    "%s.%s" % (getattr(top, "__module__", "?"),
                               top.__qualname__), 0)
        if id(top) in self.frames:
            tname, f = self.frames[id(top)]
            return ("thread '%s' in %s (%s:%d): %s (%s)" % (
                tname, f.f_code.co_name,
                self.ctx.paths.rel(f.f_code.co_filename), f.f_lineno,
                self.edge(top, nxt), _type_name(type(nxt))),
                "thread '%s'" % tname, 1)
        return None, None, 0

    def describe(self, status, path, tail=None):
        """The chain as text, root first, and the root's dotted name."""
        parts = []
        root_name = None
        i = 0
        if status == "root" and len(path) >= 2:
            head, root_name, i = self._head(path)
            if head:
                parts.append(head)
        if not parts:
            what = {"unreferenced": "no Python object refers to it",
                    "native": "its holders have no Python referrer",
                    "limit": "search stopped at its limits",
                    "root": "a root"}[status]
            parts.append("(%s) %s" % (what, _type_name(type(path[0]))))
        j = i
        while j < len(path) - 1:
            child = path[j + 1]
            e = self.edge(path[j], child)
            if e == "__dict__" and j + 2 < len(path):
                # An instance's attribute: one step, not two.
                child = path[j + 2]
                e = "." + self._key(path[j + 1], child)
                j += 1
            if child is path[-1] and tail is None:
                parts.append(e)
                parts.append(_type_name(type(child)))
            else:
                parts.append("%s (%s)" % (e, _type_name(type(child))))
            j += 1
        if tail:
            parts.extend(tail)
        return " -> ".join(parts), root_name


def _container_tail(graph, c, lru):
    """The step from a growing container to one of its newest items."""
    try:
        if type(c) is lru:
            return ["cache"]
        if isinstance(c, dict) and c:
            k = next(reversed(c))
            return ["value of %s" % _short_repr(k), _type_name(type(c[k]))]
        if isinstance(c, (list, collections.deque)) and c:
            return ["item [%d]" % (len(c) - 1), _type_name(type(c[-1]))]
        if isinstance(c, set) and c:
            for v in c:
                return ["member", _type_name(type(v))]
        if isinstance(c, bytearray):
            return ["bytes"]
    except Exception:
        pass
    return []


def _holders(ctx, samples, growing, lru, fresh, registries):
    graph = _Graph(ctx, lru)
    graph.fresh = fresh
    graph.ignore.update((id(samples), id(growing), id(ctx)))
    graph.ignore.update(id(g) for g in samples)
    graph.ignore.update(id(g) for g in growing)
    out = []
    seen_roots = set()
    on_chains = set()
    for group in samples:
        if time.monotonic() > graph.deadline:
            ctx.note("holder search stopped after %.0fs" % HOLDER_SECONDS)
            break
        status = path = None
        for obj in group:
            st, p = graph.search(obj)
            if path is None or st == "root":
                status, path = st, p
            del p
            if status == "root" or time.monotonic() > graph.deadline:
                break
        on_chains.update(id(o) for o in path)
        if status != "root" and registries:
            # Held by a registry kept in C (atexit): reported as such.
            del path
            continue
        text, root = graph.describe(status, path)
        key = (status, id(path[0]) if status == "root" else text)
        if key in seen_roots:
            continue
        seen_roots.add(key)
        out.append({"chain": text, "root": root, "status": status,
                    "_sample": True})
        del path
    for per_call, c in growing:
        if id(c) in on_chains:
            for h in out:
                if h["status"] == "root" and "grows_per_call" not in h:
                    h["grows_per_call"] = round(per_call, 3)
                    break
            continue
        if time.monotonic() > graph.deadline:
            break
        status, path = graph.search(c)
        if status != "root":
            # Containers the interpreter keeps in C slots (a class's
            # subclass table) grow with no Python holder; they are not
            # what the user can fix.
            del path
            continue
        text, root = graph.describe(status, path,
                                    tail=_container_tail(graph, c, lru))
        key = (status, id(path[0]))
        if key in seen_roots:
            continue
        seen_roots.add(key)
        out.append({"chain": text, "root": root, "status": status,
                    "grows_per_call": round(per_call, 3)})
        del path
    del graph
    return out


# -- pass 2: allocation sites ------------------------------------------------

def _rank_sites(ctx, series, calls, rounds, native=False):
    """Group growing tracebacks by their site frame; largest first."""
    groups = {}
    runner = 0
    for frames, sizes, counts in series:
        if _runner_site(ctx.paths, frames):
            runner += 1
            continue
        frames = [f for f in frames if not _machinery(f[0])]
        if not frames:
            continue
        path, line = _site_frame(ctx.paths, frames)
        g = groups.setdefault((path, line), [0, 0, 0, frames])
        g[0] += sizes
        g[1] += counts
        if sizes > g[2]:
            g[2] = sizes
            g[3] = frames
    # Less than a byte and a twentieth of a block per call is rounding,
    # not a leak.
    ranked = sorted(((k, v) for k, v in groups.items()
                     if v[0] >= calls or v[1] * 20 >= calls),
                    key=lambda kv: -kv[1][0])
    out = []
    for (path, line), (size, count, _, frames) in ranked[:MAX_SITES]:
        d = _frame_dict(ctx.paths, path, line)
        d["bytes_per_call"] = round(size / calls, 1)
        d["blocks_per_call"] = round(count / calls, 3)
        shown = [f for f in frames if not _runner_frame(f[0])] or frames
        d["traceback"] = [_frame_dict(ctx.paths, p, ln)
                          for p, ln in shown[:MAX_FRAMES_SHOWN]]
        d["_user"] = ctx.paths.user(path)
        out.append(d)
    if runner:
        ctx.note("%d growing traceback%s inside the test runner's own "
                 "machinery (pytest, pluggy, unittest, frozen modules), "
                 "with no frame in the project, left out of the %s sites"
                 % (runner, "" if runner == 1 else "s",
                    "native" if native else "allocation"))
    return out


def _raw_traces():
    """[(domain, size, frames, total_nframe)] with frames ((filename,
    lineno), ...) most recent first: what take_snapshot() reads."""
    get = getattr(tracemalloc, "_get_traces", None)
    if get is not None:
        return get()
    snap = tracemalloc.take_snapshot()
    return [(t.domain, t.size,
             tuple((f.filename, f.lineno) for f in reversed(t.traceback)),
             None) for t in snap.traces]


def _cleanup_lines():
    return _pyleak_interp.code_lines(_Ctx.cleanup.__code__)


def _from_cleanup(frames, lines):
    return any(f == _OWN_FILE and ln in lines for f, ln in frames)


def _sites_pass(ctx, out):
    cleaner = ctx.harness.Cleaner()
    was = tracemalloc.is_tracing()
    if was:
        ctx.note("tracemalloc was already tracing (depth %d); its "
                 "setting is kept" % tracemalloc.get_traceback_limit())
    else:
        tracemalloc.start(ctx.depth)
    history = {}
    lines = _cleanup_lines()
    own = (_OWN_FILE, _HARNESS_FILE)
    try:
        def after(i):
            # The raw traces, grouped here: Snapshot.filter_traces
            # matches every frame with fnmatch and costs seconds.
            now = {}
            for trace in _raw_traces():
                tb = trace[2]
                if not tb or tb[0][0] in own:
                    continue  # this module's and the harness's own
                h = now.get(tb)
                if h is None:
                    now[tb] = [trace[1], 1]
                else:
                    h[0] += trace[1]
                    h[1] += 1
            for tb, (size, count) in now.items():
                h = history.get(tb)
                if h is None:
                    if _from_cleanup(tb, lines) or any(
                            f[0] == _TRACEMALLOC_FILE for f in tb):
                        history[tb] = None
                        continue
                    h = history[tb] = [[0] * i, [0] * i]
                elif h is None:
                    continue
                h[0].append(size)
                h[1].append(count)
            for h in history.values():
                if h is not None and len(h[0]) < i + 1:
                    h[0].append(0)
                    h[1].append(0)
            del now
        done = ctx.passes(cleaner, after)
    finally:
        if not was:
            tracemalloc.stop()
    calls = ctx.calls(done)
    series = []
    for tb, h in history.items():
        if h is None:
            continue
        sizes, counts = h[0][:done + 1], h[1][:done + 1]
        steps = [b - a for a, b in zip(sizes, sizes[1:])]
        if sizes[-1] - sizes[0] <= 0 or min(steps) < 0 or \
                sum(1 for s in steps if s > 0) * 4 < len(steps):
            continue
        frames = list(tb)  # most recent frame first
        series.append((frames, sizes[-1] - sizes[0],
                       max(counts[-1] - counts[0], 0)))
    history = None
    out["sites"] = _rank_sites(ctx, series, calls, done)
    out["traced_per_call"] = sum(s for _, s, _ in series) / calls


# -- pass 3: native allocations -------------------------------------------

def _native_pass(ctx, out, tracer):
    cleaner = ctx.harness.Cleaner()
    if tracer.start() != 0:
        raise RuntimeError("the malloc tracer could not start")
    try:
        def after(i):
            tracer.round(i + 1)
        tracer.round(0)
        done = ctx.passes(cleaner, after)
    finally:
        tracer.stop()
    try:
        rows = tracer.collect()
        dropped = tracer.dropped()
    finally:
        tracer.reset()
    if dropped:
        ctx.note("malloc tracer: %d allocations not recorded (tables "
                 "full)" % dropped)
    per_site = {}
    lines = _cleanup_lines()
    for frames, rnd, size, blocks in rows:
        if _from_cleanup(frames, lines):
            continue
        # Round marks: 0 the warm-up, i for the blocks allocated during
        # measured round i (the mark moves after that round's cleanup).
        if rnd < 1 or rnd > done:
            continue
        s = per_site.setdefault(frames, [0, 0, set()])
        s[0] += size
        s[1] += blocks
        s[2].add(rnd)
    calls = ctx.calls(done)
    need = max(2, -(-done // 4))
    series = []
    for frames, (size, blocks, rounds) in per_site.items():
        if len(rounds) < need or not frames:
            continue
        if all(_machinery(f) for f, _ in frames):
            continue
        series.append((list(frames), size, blocks))
    out["native_sites"] = _rank_sites(ctx, series, calls, done, True)


# -- putting it together ---------------------------------------------------

_RESOURCE_KINDS = ("fd", "thread", "process", "tmpfile", "env")
_PROCESS_ROOTS = ("subprocess._active", "multiprocessing.")


def _classify(ctx, d):
    kinds = []
    if ctx.leaks("fds") or d.get("fds"):
        kinds.append("fd")
    if ctx.leaks("threads") or any(not t.get("native")
                                   for t in d.get("threads", ())):
        kinds.append("thread")
    if ctx.leaks("procs"):
        kinds.append("process")
    if ctx.leaks("tmpfiles") or ctx.leaks("tmpbytes"):
        kinds.append("tmpfile")
    if ctx.leaks("env"):
        kinds.append("env")
    if d.get("tasks") or d.get("loops"):
        kinds.append("asyncio-task")
    # Leaks of things that are not memory explain a little memory of
    # their own (the objects that stand for them).
    resource = any(k in kinds for k in _RESOURCE_KINDS)
    holders = d.get("holders", [])

    def threading_root(h):
        return (h.get("root") or "").startswith("threading.")
    if "thread" in kinds:
        # A running thread's objects are held by the threading module
        # and by the C side of the thread itself: both explained by the
        # thread leak.
        holders = [h for h in holders if h["status"] == "root" and
                   not threading_root(h)]
        d["holders"] = holders
    if "process" in kinds:
        # subprocess keeps the Popen of a child still running after its
        # object was dropped, and multiprocessing its unjoined processes:
        # both explained by the process leak.
        holders = [h for h in holders if not any(
            (h.get("root") or "").startswith(r) for r in _PROCESS_ROOTS)]
        d["holders"] = holders
    held = [h for h in holders if h["status"] == "root"]
    # A leaked object no Python object refers to is held by native
    # code; one whose holders have no referrer only when no other sample
    # reached a root (a class's subclass table is such a holder).
    unref = [h for h in holders if h.get("_sample") and
             (h["status"] == "unreferenced" or
              (h["status"] == "native" and not held))]
    if held or d.get("registries"):
        kinds.append("python-held")
    if unref and not d.get("registries"):
        kinds.append("native-ref")
    py_growth = bool(d.get("types") or held or unref or d.get("registries"))
    heap = ctx.per_call("heap") if ctx.leaks("heap") else 0.0
    traced = d.get("traced_per_call", 0.0)
    if d.get("native_sites"):
        kinds.append("native-alloc")
    elif not resource and not py_growth:
        if heap > 0 and traced < 0.5 * heap:
            kinds.append("native-alloc")
        elif d.get("sites"):
            # Python's allocator served it, yet no object or container
            # grows: memory allocated by native code with PyMem_Malloc.
            kinds.append("native-alloc")
    if ctx.leaks("refs") and not py_growth and not d.get("sites") and \
            "native-ref" not in kinds and not ctx.leaks("heap"):
        kinds.append("native-ref")
    if not kinds:
        if ctx.leaks("objects") or ctx.leaks("blocks"):
            kinds.append("python-held")
        elif ctx.leaks("refs"):
            kinds.append("native-ref")
        elif ctx.leaks("heap"):
            kinds.append("native-alloc")
    return kinds


def _location(ctx, d, kinds):
    def from_sites(sites, how):
        for s in sites:
            if s.get("_user"):
                return dict(path=s["path"], line=s["line"],
                            source=s["source"], **{"from": how})
        for s in sites:
            for f in s["traceback"]:
                if ctx.paths.user(os.path.join(ctx.paths.cwd, f["path"])):
                    return dict(f, **{"from": how})
        return None

    if "asyncio-task" in kinds:
        for t in d.get("tasks", []) + d.get("loops", []):
            if t.get("created_at") and t.get("site_from") != "coroutine":
                return dict(t["created_at"], **{"from": "task-create"})
    if "env" in kinds:
        for e in d.get("environment", []):
            if e.get("added_at"):
                return dict(e["added_at"], **{"from": "env-change"})
    if "tmpfile" in kinds and "python-held" not in kinds:
        for f in d.get("tmpfiles", []):
            if f.get("created_at"):
                return dict(f["created_at"], **{"from": "tmp-create"})
    if "process" in kinds:
        # The child is the leak, not the Popen object that stands for
        # it; and a forked child allocates nothing in this process.
        for p in d.get("processes", []):
            if p.get("started_at"):
                return dict(p["started_at"], **{"from": "process-start"})
    order = []
    if "native-alloc" in kinds:
        order.append((d.get("native_sites", []), "native"))
    order.append((d.get("sites", []), "allocation"))
    for sites, how in order:
        loc = from_sites(sites, how)
        if loc is not None:
            return loc
    for f in d.get("fds", []):
        if f.get("opened_at"):
            return dict(f["opened_at"], **{"from": "fd-open"})
    for f in d.get("tmpfiles", []):
        if f.get("created_at"):
            return dict(f["created_at"], **{"from": "tmp-create"})
    for t in d.get("threads", []):
        if t.get("started_at"):
            return dict(t["started_at"], **{"from": "thread-start"})
    f = ctx.info.get("test_file")
    if f:
        line = int(ctx.info.get("test_line") or 0)
        return {"path": f, "line": line,
                "source": _source(os.path.realpath(f), line) if line else "",
                "from": "test"}
    return None


def _fmt_bytes(n):
    a = abs(n)
    if a >= 1024 * 1024:
        return "%.1f MiB" % (n / 1048576.0)
    if a >= 1024:
        return "%.1f KiB" % (n / 1024.0)
    return "%.0f B" % n


def _fmt_num(x):
    r = round(x)
    return "%d" % r if abs(x - r) < 0.05 else "%.2f" % x


def _text(ctx, d):
    lines = []
    kinds = d["kind"]
    lines.append("diagnosis (%.2fs): %s" % (d["seconds"],
                                            ", ".join(kinds) or "unknown"))
    loc = d.get("location")
    if loc:
        how = {"allocation": "first allocation site in the project",
               "native": "Python line of the native allocation",
               "thread-start": "where the thread was started",
               "fd-open": "where the descriptor was opened",
               "tmp-create": "where the temporary file was created",
               "task-create": "where the task or loop was created",
               "env-change": "where the environment was added to",
               "process-start": "where the child process was started",
               "test": "the test itself; no better site known"}
        lines.append("  location: %s:%s (%s)" % (loc["path"], loc["line"],
                                                 how.get(loc["from"], "")))
    if "rounds" in d:
        lines.append("  re-run: %d rounds of %d calls per pass" % (
            d["rounds"], d["calls_per_round"]))

    def sites_block(title, sites):
        if not sites:
            return
        lines.append("  %s:" % title)
        for s in sites:
            lines.append("    %s:%s: %s" % (s["path"], s["line"],
                                            s["source"]))
            lines.append("      +%s/call, %s blocks/call" % (
                _fmt_bytes(s["bytes_per_call"]),
                _fmt_num(s["blocks_per_call"])))
            for f in s["traceback"]:
                lines.append("        %s:%s  %s" % (f["path"], f["line"],
                                                    f["source"]))

    sites_block("allocation sites that grow (tracemalloc)", d.get("sites"))
    sites_block("native allocations still live (malloc tracer)",
                d.get("native_sites"))
    if d.get("types"):
        lines.append("  growing types (per call): " + ", ".join(
            "%s %s" % (t["type"], _fmt_num(t["per_call"]))
            for t in d["types"]))
    if d.get("holders"):
        lines.append("  held by:")
        for h in d["holders"]:
            grows = ""
            if "grows_per_call" in h:
                grows = " (grows by %s/call)" % _fmt_num(h["grows_per_call"])
            lines.append("    %s%s" % (h["chain"], grows))
    env_whats = {e["what"] for e in d.get("environment", [])}
    for r in d.get("registries", []):
        if r["name"] == "atexit callbacks" and "atexit" in env_whats:
            continue
        lines.append("  %s grow by %s/call" % (r["name"],
                                                _fmt_num(r["per_call"])))
    if d.get("fds"):
        lines.append("  descriptors left open by the re-run (%d):"
                     % d.get("fds_total", len(d["fds"])))
        groups = collections.OrderedDict()
        for f in d["fds"]:
            kind = f["target"].split(":[")[0] + (":[...]" if ":[" in
                                                 f["target"] else "")
            at = f.get("opened_at")
            where = (at["path"], at["line"]) if at else None
            groups.setdefault((kind, where), []).append(f)
        for (kind, where), fs in list(groups.items())[:MAX_LISTED]:
            opened = ", opened at %s:%s" % where if where else ""
            if len(fs) == 1:
                lines.append("    fd %d -> %s%s" % (
                    fs[0]["fd"], fs[0]["target"], opened))
            else:
                lines.append("    %d x fd %d..%d -> %s%s" % (
                    len(fs), fs[0]["fd"], fs[-1]["fd"],
                    fs[0]["target"] if kind == fs[0]["target"] else kind,
                    opened))
    if d.get("threads"):
        lines.append("  threads left running by the re-run (%d):"
                     % d.get("threads_total", len(d["threads"])))
        groups = collections.OrderedDict()
        for t in d["threads"]:
            at = t.get("started_at")
            key = ("native", t["name"]) if t.get("native") else (
                t["target"], t["daemon"],
                (at["path"], at["line"]) if at else None)
            groups.setdefault(key, []).append(t)
        for key, ts in list(groups.items())[:MAX_LISTED]:
            t = ts[0]
            many = "%d x " % len(ts) if len(ts) > 1 else ""
            names = "'%s'" % t["name"] if len(ts) == 1 or \
                ts[-1]["name"] == t["name"] else \
                "'%s'..'%s'" % (t["name"], ts[-1]["name"])
            if t.get("native"):
                lines.append("    %snative thread %s" % (many, names))
                continue
            at = t.get("started_at")
            lines.append("    %s%s target %s%s%s" % (
                many, names, t["target"],
                ", daemon" if t["daemon"] else "",
                ", started at %s:%s" % (at["path"], at["line"])
                if at else ""))
    if d.get("environment"):
        lines.append("  added to the environment by the re-run:")
        for e in d["environment"][:MAX_LISTED]:
            at = e.get("added_at")
            shown = ", ".join(e["added"][:3]) + (
                ", ..." if e["count"] > 3 else "")
            lines.append("    %s: %d (%s/call) %s%s" % (
                e["what"], e["count"], _fmt_num(e["per_call"]), shown,
                ", added at %s:%s" % (at["path"], at["line"]) if at
                else ""))
    if d.get("tasks"):
        lines.append("  asyncio tasks and futures left pending by the re-run "
                     "(%d):" % d.get("tasks_total", len(d["tasks"])))
        groups = collections.OrderedDict()
        for t in d["tasks"]:
            at = t.get("created_at")
            key = (t["type"], t.get("coro"), t.get("loop"),
                   (at["path"], at["line"]) if at else None,
                   t.get("site_from"))
            groups.setdefault(key, []).append(t)
        for (tp, coro, loop, where, how), ts in \
                list(groups.items())[:MAX_LISTED]:
            many = "%d x " % len(ts) if len(ts) > 1 else ""
            lines.append("    %s%s%s%s%s" % (
                many, tp.rsplit(".", 1)[-1],
                " of coroutine %s" % coro if coro else "",
                " on %s" % loop if loop else "",
                (", coroutine defined at %s:%s" if how == "coroutine"
                 else ", created at %s:%s") % where if where else ""))
    if d.get("loops"):
        lines.append("  event loops never closed (%d):"
                     % d.get("loops_total", len(d["loops"])))
        groups = collections.OrderedDict()
        for lp in d["loops"]:
            at = lp.get("created_at")
            key = (lp["type"], (at["path"], at["line"]) if at else None)
            groups.setdefault(key, []).append(lp)
        for (tp, where), ls in list(groups.items())[:MAX_LISTED]:
            many = "%d x " % len(ls) if len(ls) > 1 else ""
            lines.append("    %s%s%s" % (
                many, tp, ", created at %s:%s" % where if where else ""))
    if d.get("tmpfiles"):
        lines.append("  left in the temporary directory by the re-run (%d):"
                     % d.get("tmpfiles_total", len(d["tmpfiles"])))
        groups = collections.OrderedDict()
        for f in d["tmpfiles"]:
            at = f.get("created_at")
            key = (f["type"], "grew_per_call" in f,
                   (at["path"], at["line"]) if at else None)
            groups.setdefault(key, []).append(f)
        for (kind, grew, where), fs in list(groups.items())[:MAX_LISTED]:
            made = ", created at %s:%s" % where if where else ""
            if grew:
                for f in fs[:3]:
                    lines.append("    %s %s grows by %s/call%s" % (
                        kind, f["path"], _fmt_bytes(f["grew_per_call"]),
                        made))
                continue
            size = sum(f["bytes"] for f in fs)
            what = "%s %s" % (kind, fs[0]["path"]) if len(fs) == 1 else \
                "%d x %s (%s, ...)" % (len(fs), kind, fs[0]["path"])
            lines.append("    %s%s%s" % (
                what, ", %s" % _fmt_bytes(size) if size else "", made))
    if d.get("processes"):
        lines.append("  child processes left by the re-run (%d, killed "
                     "after it):" % d.get("processes_total",
                                          len(d["processes"])))
        groups = collections.OrderedDict()
        for p in d["processes"]:
            at = p.get("started_at")
            key = (p["cmdline"], p["state"],
                   (at["path"], at["line"]) if at else None)
            groups.setdefault(key, []).append(p)
        for (cmd, state, where), ps in list(groups.items())[:MAX_LISTED]:
            pids = "pid %d" % ps[0]["pid"] if len(ps) == 1 else \
                "%d x pid %d..%d" % (len(ps), ps[0]["pid"], ps[-1]["pid"])
            if len(cmd) > 60:
                cmd = cmd[:57] + "..."
            lines.append("    %s %s (%s)%s" % (
                pids, cmd, state,
                ", started at %s:%s" % where if where else ""))
    if d.get("native_tracer") not in (None, "used", "not needed"):
        lines.append("  malloc tracer: %s" % d["native_tracer"])
    for n in d.get("notes", []):
        lines.append("  note: %s" % n)
    return "\n".join(lines) + "\n"


def _clean_json(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): _clean_json(x) for k, x in v.items()
                if not str(k).startswith("_")}
    if isinstance(v, (list, tuple)):
        return [_clean_json(x) for x in v]
    return v


def _result_tuple_text(res):
    try:
        return "%s: %s" % (res[0], res[2])
    except Exception:
        return repr(res)


def run(harness, call, k, info):
    """Diagnose one leaking test; see the module docstring."""
    ctx = _Ctx(harness, call, k, info)
    if not ctx.leaks("procs"):
        return _diagnose(ctx, info)
    # Every pass re-runs the test, and so leaves more of its children:
    # they go once the report is made, however the passes ended.
    _reap_deferred()
    before = _children()
    try:
        return _diagnose(ctx, info)
    finally:
        _reap_deferred()
        _end_children(sorted(_children() - before))


def _diagnose(ctx, info):
    tracer = info.get("tracer")
    d = {"version": 1}
    passes = [("objects and holders", _objects_pass),
              ("allocation sites", _sites_pass)]
    timing = d[_PASS_SECONDS] = {}
    for what, fn in passes:
        if ctx.failed is not None:
            break
        if ctx.out_of_time():
            ctx.note("%s: skipped, time budget of %.0fs used up"
                     % (what, ctx.budget))
            continue
        t0 = time.monotonic()
        try:
            fn(ctx, d)
        except (KeyboardInterrupt, SystemExit):
            raise
        except _TestFailed as exc:
            ctx.failed = exc.args[0]
            ctx.note("%s: the test did not pass when re-run (%s); the "
                     "diagnosis is partial" % (
                         what, _result_tuple_text(exc.args[0])))
        except _OutOfTime:
            ctx.note("%s: no round fitted in the time budget" % what)
        except Exception as exc:
            ctx.note("%s failed: %s" % (what, _exc_line(exc)))
        finally:
            timing[fn.__name__.strip("_").replace("_pass", "")] = round(
                time.monotonic() - t0, 3)
    # Native allocations: only when the C heap grows more than Python
    # accounts for (a thread's stack and state explain their own).
    heap = ctx.per_call("heap") if ctx.leaks("heap") else 0.0
    want_native = heap > 0 and d.get("traced_per_call", 0.0) < 0.5 * heap \
        and not ctx.leaks("threads")
    if not want_native:
        d["native_tracer"] = "not needed"
    elif tracer is None or not tracer.available():
        why = tracer.why_not() if tracer is not None else None
        d["native_tracer"] = "not available: " + (
            why or "this process has no malloc tracer")
    elif ctx.failed is not None or ctx.out_of_time():
        d["native_tracer"] = "skipped (see notes)"
    else:
        t0 = time.monotonic()
        try:
            _native_pass(ctx, d, tracer)
            d["native_tracer"] = "used"
        except (KeyboardInterrupt, SystemExit):
            raise
        except _TestFailed as exc:
            d["native_tracer"] = "the test did not pass when re-run"
            ctx.note("native allocations: the test did not pass when "
                     "re-run (%s)" % _result_tuple_text(exc.args[0]))
        except _OutOfTime:
            d["native_tracer"] = "no round fitted in the time budget"
        except Exception as exc:
            d["native_tracer"] = "failed: %s" % _exc_line(exc)
        timing["native"] = round(time.monotonic() - t0, 3)
    kinds = _classify(ctx, d)
    d["kind"] = kinds
    d["location"] = _location(ctx, d, kinds)
    d["notes"] = ctx.notes
    d["seconds"] = round(ctx.elapsed(), 3)
    for key in ("sites", "native_sites", "types", "holders", "fds",
                "threads", "processes", "registries"):
        d.setdefault(key, [])
    text = _text(ctx, d)
    loc = d["location"]
    top = None
    if "native-alloc" in kinds and d["native_sites"]:
        top = d["native_sites"][0]
    elif d["sites"]:
        top = d["sites"][0]
    bytes_pc = d.get("traced_per_call", 0.0)
    if "native-alloc" in kinds and d["native_sites"]:
        bytes_pc = sum(s["bytes_per_call"] for s in d["native_sites"])
    for key in ("tmpfiles", "tasks", "loops", "environment"):
        d.setdefault(key, [])
    for key in ("fds", "threads", "processes", "tmpfiles", "tasks",
                "loops"):
        if len(d[key]) > MAX_JSON_LIST:
            d[key + "_total"] = len(d[key])
            d[key] = d[key][:MAX_JSON_LIST]
    traced = d.pop("traced_per_call", None)
    if traced is not None:
        d["traced_bytes_per_call"] = round(traced, 1)
    doc = _clean_json(d)
    return {
        "kind": ",".join(kinds),
        "loc_file": loc["path"] if loc else None,
        "loc_line": int(loc["line"]) if loc else 0,
        "top_site": "%s:%s: %s" % (top["path"], top["line"], top["source"])
        if top else None,
        "bytes_per_call": float(bytes_pc),
        "seconds": d["seconds"],
        "text": text,
        "json": json.dumps(doc, ensure_ascii=True, allow_nan=False,
                           sort_keys=False),
    }
