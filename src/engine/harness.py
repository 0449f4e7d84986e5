"""pyleak-ci harness: collecting tests, calling them, restoring caches.

This module is compiled into the pyleak-ci binary and imported by the
embedded interpreter as ``_pyleak_harness``.  The C side drives the rounds
and takes the samples; this side does what is easier in Python.  Every
function here that the C side calls per round must leave no object behind
once it returns: an empty test has to show exactly zero growth.

Results of calls are ``None`` for success, else a tuple
``(outcome, exc_type, message, traceback_text)`` where outcome is
"failed", "error" or "skipped". Collection may also answer "usage": the
command line named a test or callable that is not there.
"""

import functools
import gc
import importlib
import importlib.util
import io
import os
import sys
import types

import _pyleak_interp

# What the C side calls: src/engine/contract.c looks up exactly these
# (tests/test_contract.c holds the two lists together).
__all__ = ["collect_file", "collect_callable", "module_setup",
           "module_teardown", "class_setup", "class_teardown", "rescope",
           "Cleaner", "collect", "begin_capture", "end_capture", "mute",
           "unmute", "stop_on_sigterm", "set_reseed", "format_exception",
           "environment", "reap_children", "use_tmpdir"]

# Frames of these files are dropped from tracebacks shown to users.
_HARNESS_FILE = "<pyleak-harness>"


class Item:
    """One test as the C side sees it."""

    __slots__ = ("id", "classname", "name", "file", "line", "skip",
                 "call", "cls", "control", "rescope")

    def __init__(self, id, classname, name, file, line, call, skip=None,
                 cls=None, control=None):
        self.id = id
        self.classname = classname
        self.name = name
        self.file = file
        self.line = line
        self.call = call
        self.skip = skip
        self.cls = cls
        # None, or the per-test control of the pyleak decorators and the
        # pytest.mark.pyleak marker: {"skip": reason, "rounds": n,
        # "allow": [(metric, per_call or None, reason), ...]}.
        self.control = control
        # None, or level -> rescoped call (see rescope): for items whose
        # fixtures are not the harness's (pytest's).
        self.rescope = None


def _type_name(tp):
    mod = getattr(tp, "__module__", None)
    qual = getattr(tp, "__qualname__", tp.__name__)
    if mod in (None, "builtins", "__main__"):
        return qual
    return mod + "." + qual


def _first_line(text):
    text = str(text).strip()
    return text.splitlines()[0] if text else ""


def _machinery(filename):
    return (filename.startswith("<pyleak") or
            filename.startswith("<frozen importlib") or
            os.sep + "importlib" + os.sep in filename)


def format_exception(exc):
    """Traceback text of exc without the harness's and the import
    system's leading frames: the user's code comes first."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and _machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    try:
        lines = traceback.format_exception(type(exc), exc, tb)
    except Exception:  # a broken __str__ must not break the report
        lines = [_type_name(type(exc)) + ": <unprintable exception>\n"]
    return "".join(lines)


def _exc_tuple(outcome, exc):
    try:
        msg = str(exc)
    except Exception:
        msg = "<unprintable exception>"
    name = _type_name(type(exc))
    line = _first_line(msg)
    text = format_exception(exc)
    exc.__traceback__ = None
    return (outcome, name, name + ": " + line if line else name, text)


def _skip_types():
    types_ = []
    ut = sys.modules.get("unittest")
    if ut is not None:
        types_.append(ut.SkipTest)
    return tuple(types_)


def _is_pytest_skip(exc):
    tp = type(exc)
    return tp.__name__ == "Skipped" and tp.__module__.startswith("_pytest")


# -- calling tests ---------------------------------------------------------

# The warning filters of the plain runner, set around every call of a
# test that pyleak-ci collected itself (see set_style): unittest's "-W
# default" for a unittest module, pytest's defaults for plain tests.
_UNITTEST_FILTERS = (
    ("default", "", Warning, "", 0),
    # unittest's runner shows the deprecated assert aliases once per
    # module.
    ("module", r"Please use assert\w+ instead.", DeprecationWarning, "",
     0),
)
_PYTEST_FILTERS = (
    ("always", "", DeprecationWarning, "", 0),
    ("always", "", PendingDeprecationWarning, "", 0),
)
_call_filters = ((), False)
_style = "unittest"
# How many entries warnings.filters had when the file's tests were
# collected (None: put the runner's filters first). The plain runners
# set their filters once, before module and class fixtures run, so a
# filter that setUpModule or setUpClass adds comes before them (CPython's
# test_support ignores its own deprecations that way).
_import_filters = None


def set_style(style):
    """The warning filters for the calls of the tests of a file collected
    by pyleak-ci (style as module_style says). As under the plain
    runners, none when Python's -W options (sys.warnoptions) are set."""
    import warnings

    global _call_filters, _style, _import_filters
    _style = style
    _import_filters = len(warnings.filters)
    if sys.warnoptions:
        _call_filters = ((), style != "unittest")
    elif style == "unittest":
        _call_filters = (compile_filters(_UNITTEST_FILTERS), False)
    else:
        _call_filters = (compile_filters(_PYTEST_FILTERS), True)


def compile_filters(specs):
    """Entries of warnings.filters for specs, each as
    warnings.filterwarnings(*spec) takes it, applied in order (so the
    last comes first). Compiled once: applying them to every call is
    then only a list insert."""
    import re

    out = []
    for action, message, category, module, lineno in specs:
        out.insert(0, (action, re.compile(message, re.I) if message else
                       None, category,
                       re.compile(module) if module else None, lineno))
    return tuple(out)


def with_warnings(fn, filters, record):
    """fn() inside warnings.catch_warnings with filters (compile_filters)
    first in warnings.filters, as the plain runner sets them around a
    test, after resetting the random state (see _reseed). record: keep
    the warnings rather than print them, as pytest does; the first
    call's (when its output is captured for the report) are then
    written to its stderr."""
    import warnings

    if _reseed_on:
        _reseed()
    with warnings.catch_warnings(record=record) as log:
        if filters:
            at = 0
            if _import_filters is not None:
                # Behind what fixtures added since the import.
                at = max(0, len(warnings.filters) - _import_filters)
            warnings.filters[at:at] = filters
            warnings._filters_mutated()
        out = fn()
    if log and isinstance(sys.stderr, _Capture):
        for w in log:
            try:
                sys.stderr.write(warnings.formatwarning(
                    w.message, w.category, w.filename, w.lineno, w.line))
            except Exception:
                pass
    return out


# Before every call, the random state tests draw on is the same, so that
# repeated calls do the same work (as pytest-randomly reseeds per test):
# a test on random data must not fail once in hundreds of calls, nor
# allocate differently from call to call. --no-reseed turns it off.
_reseed_on = True
_SEED = 20240229


def set_reseed(on):
    global _reseed_on
    _reseed_on = bool(on)


def _reseed():
    """Python's random and numpy's global generator (when numpy is
    loaded) to the same seed."""
    rnd = sys.modules.get("random")
    if rnd is not None:
        rnd.seed(_SEED)
    nprandom = sys.modules.get("numpy.random")
    if nprandom is not None and _numpy_counts_refs():
        try:
            nprandom.seed(_SEED)
        except Exception:
            pass


_numpy_refs = None


def _numpy_counts_refs():
    """Whether numpy's reseeding leaves the interpreter's reference total
    alone. On a debug build of Python (which counts references) a numpy
    built for the release ABI moves the total on every reseed, which
    would look like a leak of every test: it is not reseeded there."""
    global _numpy_refs
    if _numpy_refs is None:
        import importlib.machinery

        mtrand = sys.modules.get("numpy.random.mtrand")
        path = getattr(mtrand, "__file__", None) or ""
        _numpy_refs = not hasattr(sys, "gettotalrefcount") or \
            path.endswith(importlib.machinery.EXTENSION_SUFFIXES[0])
    return _numpy_refs


def derandomize(objs):
    """Hypothesis tests among objs (functions, classes) get derandomized
    settings without an example database: every call then tries the same
    examples, and no call replays what an earlier one saved."""
    if not _reseed_on or "hypothesis" not in sys.modules:
        return
    import hypothesis

    seen = set()

    def fix(obj):
        obj = getattr(obj, "__func__", obj)
        if id(obj) in seen:
            return
        seen.add(id(obj))
        have = getattr(obj, "_hypothesis_internal_use_settings", None)
        if have is None or getattr(have, "derandomize", False) and \
                have.database is None:
            return
        try:
            obj._hypothesis_internal_use_settings = hypothesis.settings(
                have, derandomize=True, database=None)
        except Exception:
            pass  # an older Hypothesis, or not a settings object

    for obj in objs:
        if isinstance(obj, type):
            for base in obj.__mro__:
                for value in list(vars(base).values()):
                    fix(value)
        else:
            fix(obj)


# How deep in the stack the plain runner calls a test: the frame count
# at a test method under `python -m unittest`, and at a plain test
# function under `python -m pytest` (pytest 7, its plugins, pluggy).
# pyleak-ci's own harness is a few frames deep, and tests that count
# frames fail there (CPython's test_tracemalloc expects 10 above it), so
# calls are made this deep too.
_UNITTEST_DEPTH = 16
_PYTEST_DEPTH = 34
# The frames _at_depth's padding stands for, counted as _depth counts
# them at the test: with_warnings, guarded and the padding's last call
# with the test's own for a plain test; for a TestCase its run and
# _callTestMethod too. A body of the item's own around the test adds
# its frames (_guarded_call's extra).
_HARNESS_FRAMES = {"unittest": 6, "pytest": 4}


def _depth():
    f, n = sys._getframe(1), 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


def _at_depth(depth, fn, *args):
    """fn(*args) from a frame at least depth frames deep."""
    if depth <= 0:
        return fn(*args)
    return _at_depth(depth - 1, fn, *args)


def _call_in_style(fn, extra=0):
    filters, record = _call_filters
    want = _UNITTEST_DEPTH if _style == "unittest" else _PYTEST_DEPTH
    # No function made per call (a lambda here would be): on 3.9 and
    # 3.10 its code would get its inline caches after 1,024 calls, two
    # blocks in the middle of the rounds, where the interpreter layer's
    # priming of the functions that exist cannot reach them.
    return _at_depth(want - _HARNESS_FRAMES[_style] - extra - _depth(),
                     with_warnings, fn, filters, record)


def _guarded_call(body, extra=0):
    """A per-call wrapper around body(): None when it returns, else the
    result tuple of its skip or failure. Ctrl-C goes through. extra: the
    frames body puts between itself and the test (0: body is the
    test)."""
    skips = _skip_types()

    def guarded():
        try:
            body()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            if isinstance(exc, skips) or _is_pytest_skip(exc):
                reason = str(exc)
                exc.__traceback__ = None
                return ("skipped", _type_name(type(exc)), reason, "")
            return _exc_tuple("failed", exc)
        return None

    def call():
        return _call_in_style(guarded, extra)
    return call


def _method_call(cls, name):
    """A pytest-style Test* class: a fresh instance per call."""
    def body():
        inst = cls()
        setup = getattr(inst, "setup_method", None)
        if setup is not None:
            setup(getattr(inst, name))
        try:
            getattr(inst, name)()
        finally:
            teardown = getattr(inst, "teardown_method", None)
            if teardown is not None:
                teardown(getattr(inst, name))
    return _guarded_call(body, 1)


_result_class = None


def _unittest_result_class():
    """A TestResult that keeps the first outcome as a result tuple."""
    global _result_class
    if _result_class is not None:
        return _result_class
    import unittest

    class Result(unittest.TestResult):
        def __init__(self):
            super().__init__()
            self.outcome = None

        def _keep(self, outcome, test, err, what=None):
            if self.outcome is not None:
                return
            tp, value, _ = err
            text = self._exc_info_to_string(err, test)
            name = _type_name(tp)
            line = _first_line(value) if value is not None else ""
            msg = name + ": " + line if line else name
            if what:
                msg = what + ": " + msg
            self.outcome = (outcome, name, msg, text)

        def addError(self, test, err):
            self._keep("failed", test, err)

        def addFailure(self, test, err):
            self._keep("failed", test, err)

        def addSubTest(self, test, subtest, err):
            if err is not None:
                self._keep("failed", test, err, subtest._subDescription())

        def addSkip(self, test, reason):
            # A skipped subtest does not skip its test: unittest counts
            # the test as run, and so it is measured.
            if isinstance(test, unittest.case._SubTest):
                return
            if self.outcome is None:
                self.outcome = ("skipped", "unittest.SkipTest", reason, "")

        def addUnexpectedSuccess(self, test):
            if self.outcome is None:
                self.outcome = ("failed", "unittest.UnexpectedSuccess",
                                "unexpected success of a test marked "
                                "@expectedFailure", "")

    _result_class = Result
    return Result


def _instance_call(case):
    """Run the same TestCase instance in every call, as CPython's refleak
    hunter does with the suite a load_tests function built."""
    Result = _unittest_result_class()

    def run():
        result = Result()
        case.run(result)
        outcome = result.outcome
        del result
        return outcome

    def call():
        return _call_in_style(run)
    return call


def _unittest_call(cls, name):
    Result = _unittest_result_class()

    def run():
        result = Result()
        case = cls(name)
        case.run(result)
        outcome = result.outcome
        # The case holds its outcome and cleanups; drop them now.
        del case, result
        return outcome

    def call():
        return _call_in_style(run)
    return call


# -- collecting ------------------------------------------------------------

def _unwrap(fn):
    seen = 0
    while hasattr(fn, "__wrapped__") and seen < 100:
        fn = fn.__wrapped__
        seen += 1
    return fn


def _line_of(obj):
    obj = _unwrap(obj)
    code = getattr(obj, "__code__", None)
    if code is not None:
        return code.co_firstlineno
    return 0


def _line_in(obj, relfile):
    """The line of the test obj in relfile, the file it is reported in;
    0 when its code is in another file (a TestCase imported into the test
    file, or brought by its load_tests from another module: CPython's
    test_distutils.py loads distutils/tests/*): its line there would
    point at the wrong line of relfile."""
    code = getattr(_unwrap(obj), "__code__", None)
    name = getattr(code, "co_filename", "") or ""
    try:
        if name and not name.startswith("<") and \
                not os.path.samefile(name, relfile):
            return 0
    except OSError:
        pass
    return _line_of(obj)


def _class_line(cls):
    best = 0
    for value in vars(cls).values():
        line = _line_of(value) if callable(value) else 0
        if line and (not best or line < best):
            best = line
    return max(best - 1, 0)


def _required_args(fn, bound=False):
    code = getattr(_unwrap(fn), "__code__", None)
    if code is None:
        return []
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    defaults = len(getattr(_unwrap(fn), "__defaults__", None) or ())
    positional = list(names[:code.co_argcount])
    if bound and positional:
        positional = positional[1:]
    required = positional[:len(positional) - defaults] if defaults else \
        positional
    kwdefaults = getattr(_unwrap(fn), "__kwdefaults__", None) or {}
    required += [n for n in names[code.co_argcount:] if n not in kwdefaults]
    return required


def _fixture_skip(required):
    return ("needs arguments (%s): pytest fixtures, and pytest cannot be "
            "imported by %s; install pytest into that environment, or "
            "point pyleak-ci at the virtual environment that has it"
            % (", ".join(required), sys.executable or "this Python"))


def _control(fn, cls=None):
    """What the pyleak_ci decorators set on the test and its class."""
    import pyleak_ci

    outer = getattr(cls, "__pyleak__", None) if cls is not None else None
    return pyleak_ci.merge(outer, getattr(fn, "__pyleak__", None))


def _is_testcase(obj):
    ut = sys.modules.get("unittest")
    return ut is not None and isinstance(obj, type) and \
        issubclass(obj, ut.TestCase)


def _unittest_items(cls, modname, relfile):
    import unittest

    names = unittest.TestLoader().getTestCaseNames(cls)
    if not names and hasattr(cls, "runTest"):
        names = ["runTest"]  # what unittest's loader does, too
    classname = modname + "." + cls.__qualname__
    class_skip = None
    if getattr(cls, "__unittest_skip__", False):
        class_skip = getattr(cls, "__unittest_skip_why__", "") or "skipped"
    items = []
    for name in names:
        meth = getattr(cls, name)
        skip = class_skip
        if skip is None and getattr(meth, "__unittest_skip__", False):
            skip = getattr(meth, "__unittest_skip_why__", "") or "skipped"
        items.append(Item(relfile + "::" + cls.__qualname__ + "::" + name,
                          classname, name, relfile, _line_in(meth, relfile),
                          _unittest_call(cls, name), skip, cls,
                          _control(meth, cls)))
    return items


def _flatten(suite):
    import unittest

    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _flatten(test)
        else:
            yield test


def _case_item(case, modname, relfile):
    """An item for one TestCase instance of a load_tests suite."""
    cls = type(case)
    name = getattr(case, "_testMethodName", "")
    try:
        case_id = case.id()
    except Exception:
        case_id = name
    if case_id.endswith("." + name) or case_id == name:
        # A test method of a TestCase class.
        meth = getattr(cls, name, None)
        skip = None
        for owner in (cls, meth):
            if skip is None and getattr(owner, "__unittest_skip__", False):
                skip = getattr(owner, "__unittest_skip_why__", "") or \
                    "skipped"
        return Item(relfile + "::" + cls.__qualname__ + "::" + name,
                    modname + "." + cls.__qualname__, name, relfile,
                    _line_in(meth, relfile) if meth is not None else 0,
                    _instance_call(case), skip, cls, _control(meth, cls))
    # A doctest, a FunctionTestCase, ...: named by its id.
    if case_id.startswith(modname + "."):
        case_id = case_id[len(modname) + 1:]
    line = 0
    dt = getattr(case, "_dt_test", None)
    if dt is not None and isinstance(getattr(dt, "lineno", None), int):
        line = dt.lineno + 1
    return Item(relfile + "::" + case_id, modname, case_id, relfile, line,
                _instance_call(case), None, cls)


def _loaded_items(module, modname, relfile):
    """The tests of a module with a load_tests function: the cases of the
    suite unittest's loader builds with it, in its order (for a package,
    those _package_own keeps)."""
    import unittest

    loader = unittest.TestLoader()
    if _is_package_init(module) and \
            isinstance(getattr(loader, "_loading_packages", None), set):
        # As discovery loads a package: a load_tests that discovers the
        # package's folder then skips the package itself instead of
        # loading its tests a second time.
        loader._loading_packages.add(module.__name__)
    suite = loader.loadTestsFromModule(module)
    own = _package_own(module)
    return [_case_item(case, modname, relfile) for case in _flatten(suite)
            if own(type(case))]


def _is_package_init(module):
    return hasattr(module, "__path__") and os.path.basename(
        getattr(module, "__file__", None) or "") == "__init__.py"


def _package_own(module):
    """For a package's __init__.py, a test of a directory run as
    `python -m unittest discover` loads it: a predicate on test classes
    that drops those of the package's own test files and subpackages,
    which pyleak-ci collects as files of their own (a load_tests that
    discovers the package, as CPython's test packages have, would run
    each of them twice). For other modules, every class."""
    if not _is_package_init(module):
        return lambda cls: True
    top = os.path.dirname(os.path.realpath(module.__file__)) + os.sep

    def own(cls):
        mod = sys.modules.get(getattr(cls, "__module__", None))
        path = getattr(mod, "__file__", None)
        if mod is None or mod is module or not path:
            return True
        path = os.path.realpath(path)
        base = os.path.basename(path)
        return not (path.startswith(top) and (
            base == "__init__.py" or base.endswith("_test.py") or
            (base.startswith("test_") and base.endswith(".py"))))
    return own


def _plain_test_function(obj, name):
    """The function of a class or module attribute pytest would collect
    as a test under its default rules (python_functions = test), else
    None."""
    if not (name.startswith("test") or
            getattr(obj, "__test__", False) is True):
        return None
    if isinstance(obj, staticmethod):
        obj = obj.__func__
    if not callable(obj) or hasattr(obj, "_pytestfixturefunction"):
        return None
    obj = getattr(obj, "__func__", obj)
    if not isinstance(_unwrap(obj), types.FunctionType):
        return None  # pytest warns "not a function" and skips it
    if not getattr(obj, "__test__", True):
        return None
    return obj


def _plain_test_class(obj, name):
    return isinstance(obj, type) and (
        name.startswith("Test") or getattr(obj, "__test__", False) is True)


def _plain_methods(cls):
    """(name, function) of the tests of a plain class, as pytest finds
    them: its own and every inherited attribute, each name once (the
    nearest definition wins), base classes' first, each class's in
    definition order."""
    seen = set()
    groups = []
    for ns in [vars(cls)] + [vars(base) for base in cls.__mro__]:
        group = []
        for name, value in list(ns.items()):
            if name in seen:
                continue
            seen.add(name)
            group.append((name, value))
        groups.append(group)
    return [pair for group in reversed(groups) for pair in group]


def _class_items(cls, modname, relfile, qual=None, outer=()):
    """A plain Test* class, collected by pytest's default rules: not
    when __test__ is false or it has its own __init__ or __new__ (pytest
    warns and skips it), else every test method it has, inherited ones
    included, and the Test* classes nested in it."""
    import inspect

    qual = qual or cls.__qualname__
    if not getattr(cls, "__test__", True) or inspect.isabstract(cls):
        return []  # abstract: as pytest 8 (see wants_pytest)
    if cls in outer:
        return []  # a class nested in itself: once is enough
    if getattr(cls, "__init__", object.__init__) is not object.__init__ \
            or getattr(cls, "__new__", object.__new__) is not object.__new__:
        return []
    classname = modname + "." + qual.replace("::", ".")
    items = []
    for name, value in _plain_methods(cls):
        if _plain_test_class(value, name):
            items.extend(_class_items(value, modname, relfile,
                                      qual + "::" + name, outer + (cls,)))
            continue
        fn = _plain_test_function(value, name)
        if fn is None:
            continue
        required = _required_args(fn, bound=not isinstance(value,
                                                           staticmethod))
        skip = _fixture_skip(required) if required else _cannot_run(fn)
        items.append(Item(relfile + "::" + qual + "::" + name,
                          classname, name, relfile, _line_of(fn),
                          _method_call(cls, name), skip, None,
                          _control(fn, cls)))
    return items


def _cannot_run(fn):
    """Why pyleak-ci's own collector cannot run this test function (None
    when it can): pytest needs a plugin for coroutines and no longer runs
    generator ("yield") tests."""
    code = getattr(_unwrap(fn), "__code__", None)
    if code is None:
        return None
    if code.co_flags & 0x280:  # CO_COROUTINE, CO_ASYNC_GENERATOR
        return ("coroutine test: pyleak-ci runs it only through pytest "
                "with an async plugin (pytest-asyncio, anyio), which "
                "cannot be imported here")
    if code.co_flags & 0x20:  # CO_GENERATOR
        return ("generator (yield) test: pytest does not run these "
                "either since pytest 4")
    return None


def _xunit(owner, names):
    """The first of names that owner has and that is not a pytest
    fixture, as pytest looks up its xunit-style setup functions."""
    for name in names:
        fn = getattr(owner, name, None)
        if fn is not None and not hasattr(fn, "_pytestfixturefunction"):
            return fn
    return None


def _call_optional(fn, arg):
    """fn(arg) when fn takes an argument, else fn(), as pytest calls its
    xunit-style setup functions."""
    code = getattr(fn, "__code__", None)
    count = code.co_argcount if code is not None else 1
    if isinstance(fn, types.MethodType):
        count -= 1
    return fn(arg) if count else fn()


def _function_item(fn, name, modname, relfile, module=None):
    required = _required_args(fn)
    skip = _fixture_skip(required) if required else _cannot_run(fn)
    setup = _xunit(module, ("setup_function",)) if module else None
    teardown = _xunit(module, ("teardown_function",)) if module else None
    body = fn
    if setup is not None or teardown is not None:
        # pytest's setup_function/teardown_function around every call.
        def body():
            if setup is not None:
                _call_optional(setup, fn)
            try:
                fn()
            finally:
                if teardown is not None:
                    _call_optional(teardown, fn)
    return Item(relfile + "::" + name, modname, name, relfile,
                _line_of(fn), _guarded_call(body, int(body is not fn)),
                skip, None, _control(fn))


def _testcases(module):
    """The unittest TestCase classes in the module's namespace, defined
    there or imported, as unittest's loader finds them."""
    return [(name, value) for name, value in list(vars(module).items())
            if isinstance(value, type) and _is_testcase(value)]


def _mixins(module):
    """Classes that TestCase classes of the module inherit from."""
    out = set()
    for _, value in _testcases(module):
        out.update(b for b in value.__mro__ if not _is_testcase(b))
    return out


def module_style(module):
    """"unittest" when the file is a unittest module: it has TestCase
    classes and nothing else pytest would collect. Such a file is run as
    `python -m unittest` runs it, and only its TestCase classes (with
    load_tests, if it has one) are tests. CPython's convention of a
    test_main() entry point and test-named helpers that take arguments
    are not plain tests, nor are classes the TestCase classes inherit
    from (mixins); nor, when it has a load_tests function, anything
    else. Anything else is "pytest": a file of plain test
    functions and Test* classes (mixed with TestCase classes or not),
    which a user runs with pytest and which is collected by pytest's
    rules. A file with load_tests and no tests of its own pytest would
    collect is a unittest module too, TestCase classes or not: its
    load_tests brings them (CPython's test_ctypes.py loads a whole
    package's)."""
    loads = callable(getattr(module, "load_tests", None))
    if not _testcases(module):
        return "unittest" if loads and not _plain_tests(module) \
            else "pytest"
    if loads:
        return "unittest"  # unittest's protocol: it decides the tests
    return "pytest" if _plain_tests(module) else "unittest"


# What a method of a TestCase mixin calls on self and a plain pytest
# class does not have: its assert methods and these.
_TESTCASE_API = ("fail", "skipTest", "subTest", "addCleanup",
                 "enterContext", "failureException")


def _uses_testcase_api(cls):
    """1 when a test method of the plain class calls TestCase methods it
    does not define itself (self.assertEqual, self.fail, ...): a mixin
    written for TestCase classes, whether or not one uses it yet."""
    import unittest

    for name, value in _plain_methods(cls):
        fn = _plain_test_function(value, name)
        code = getattr(_unwrap(fn), "__code__", None) if fn else None
        if code is None:
            continue
        for attr in code.co_names:
            if (attr.startswith("assert") or attr in _TESTCASE_API) and \
                    hasattr(unittest.TestCase, attr) and \
                    not hasattr(cls, attr):
                return True
    return False


def _plain_tests(module):
    """1 when the module has a test of its own that pytest would collect
    and that is not a TestCase, a mixin of one (or a class written as
    one), test_main() or a helper taking arguments (_arguments). What
    it imports (`from doctest import *` brings testmod) does not decide
    its style."""
    mixins = _mixins(module)
    for name, value in list(vars(module).items()):
        if getattr(value, "__module__", module.__name__) != \
                module.__name__:
            continue
        if isinstance(value, type):
            if _is_testcase(value) or value in mixins or \
                    not _plain_test_class(value, name) or \
                    _uses_testcase_api(value):
                continue
            if _class_items(value, module.__name__, ""):
                return True
        elif name != "test_main":
            fn = _plain_test_function(value, name)
            if fn is not None and not _arguments(fn):
                return True
    return False


def _arguments(fn):
    """1 when fn takes arguments, with defaults or not: a helper of a
    unittest module (CPython's test_telnetlib.py has test_telnet(reads=(),
    cls=TelnetAlike)), not a plain test, whose arguments would be
    fixtures."""
    code = getattr(_unwrap(fn), "__code__", None)
    return code is not None and (code.co_argcount + code.co_kwonlyargcount
                                 > 0 or code.co_flags & 0x0C != 0)


def wants_pytest(module):
    """A plain-style module that only pytest itself runs as pytest does:
    its tests take arguments (fixtures) or are coroutines (an async
    plugin), or it has a Test* class with setup_class/teardown_class or
    an abstract one (whose treatment depends on pytest's version: an
    error of the file before pytest 8, not collected since)."""
    import inspect

    for name, value in list(vars(module).items()):
        if _plain_test_class(value, name) and not _is_testcase(value):
            if inspect.isabstract(value) or _xunit(
                    value, ("setup_class", "teardown_class")):
                return True  # pyleak-ci's own collector has no class
                # fixtures for plain classes
            fns = [f for n, f in _plain_methods(value)
                   if _plain_test_function(f, n) is not None]
            bound = True
        else:
            fn = _plain_test_function(value, name)
            fns = [fn] if fn is not None else []
            bound = False
        for fn in fns:
            code = getattr(_unwrap(fn), "__code__", None)
            if isinstance(fn, staticmethod):
                bound = False
            if _required_args(fn, bound=bound) or (
                    code is not None and code.co_flags & 0x80):
                return True
    return False


def _testcase_items(cls, attrname, modname, relfile, style):
    if style == "pytest" and not getattr(cls, "__test__", True):
        return []  # pytest's unittest support honours __test__
    return _unittest_items(cls, modname, relfile)


def _module_items(module, modname, relfile, style=None):
    """The tests of a module collected by pyleak-ci itself, by the rules
    of the runner its style says (see module_style)."""
    style = style or module_style(module)
    items = []
    if style == "unittest":
        if callable(getattr(module, "load_tests", None)):
            return _loaded_items(module, modname, relfile)
        seen = set()
        own = _package_own(module)
        for name, value in _testcases(module):
            if value not in seen and own(value):
                seen.add(value)
                items.extend(_testcase_items(value, name, modname,
                                             relfile, style))
        return items
    for name, value in list(vars(module).items()):
        if isinstance(value, type) and _is_testcase(value):
            items.extend(_testcase_items(value, name, modname, relfile,
                                         style))
        elif isinstance(value, type):
            if _plain_test_class(value, name):
                items.extend(_class_items(value, modname, relfile, name))
        else:
            fn = _plain_test_function(value, name)
            if fn is not None:
                items.append(_function_item(fn, name, modname, relfile,
                                            module))
    # Source order within the file keeps reports stable and readable;
    # a unittest class keeps its tests together in loader order.
    return items


def _select(items, selector, relfile):
    if not selector:
        return items
    parts = selector.split("::")
    chosen = []
    for item in items:
        tail = item.id[len(relfile) + 2:].split("::")
        # "name" also names every parametrized "name[...]" of it.
        if len(tail) >= len(parts) and \
                tail[:len(parts) - 1] == parts[:-1] and \
                (tail[len(parts) - 1] == parts[-1] or
                 (len(tail) == len(parts) and
                  tail[-1].startswith(parts[-1] + "["))):
            chosen.append(item)
    if not chosen:
        names = sorted({i.id[len(relfile) + 2:] for i in items})
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        return ("usage", "pyleak.NotFound",
                "no test '%s' in %s; tests there: %s"
                % (selector, relfile, shown or "none"), "")
    return chosen


def _import_error(exc, what):
    out = _exc_tuple("error", exc)
    return ("error", out[1], "%s: %s" % (what, out[2]), out[3])


def _import_file(path, modname, root):
    if root not in sys.path:
        sys.path.insert(0, root)
    stem_ok = all(part.isidentifier() for part in modname.split("."))
    existing = sys.modules.get(modname)
    if existing is not None:
        have = getattr(existing, "__file__", None)
        if have and os.path.realpath(have) != os.path.realpath(path):
            raise ImportError(
                "module name %r of %s is already taken by %s; rename one "
                "of the files or add __init__.py files so their package "
                "names differ" % (modname, path, have))
        return existing
    if stem_ok:
        module = importlib.import_module(modname)
        have = getattr(module, "__file__", None)
        if have and os.path.realpath(have) != os.path.realpath(path):
            raise ImportError(
                "importing %r found %s instead of %s; a module of the same "
                "name comes earlier on sys.path" % (modname, have, path))
        return module
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(modname, None)
        raise
    return module


def _skip_module(exc, relfile):
    reason = str(exc) or "skipped"
    exc.__traceback__ = None
    return ("skip", reason)


def _by_keyword(items, keyword, modname, relfile):
    """The items -k EXPR chooses, or a usage tuple for a bad EXPR."""
    import _pyleak_keyword

    try:
        match = _pyleak_keyword.compile(keyword)
    except _pyleak_keyword.KeywordError as exc:
        return ("usage", "pyleak.BadKeyword", str(exc), "")
    chosen = []
    for item in items:
        qual = item.id[len(relfile) + 2:]
        if match(_pyleak_keyword.names_of(modname, relfile, qual)):
            chosen.append(item)
    return chosen


def _missing_pytest(exc):
    return isinstance(exc, ImportError) and \
        getattr(exc, "name", None) in ("pytest", "_pytest")


def collect_file(path, modname, root, relfile, selector, keyword="",
                 by_pytest=False):
    """Import the test file and list its tests: with pytest when it is a
    pytest test file and pytest is importable (see _pyleak_pytest),
    else by pyleak-ci's own rules. keyword is -k EXPR ("" for all).

    Returns ("ok", module, items), ("skip", reason) or an error tuple.
    """
    import _pyleak_pytest

    global _import_filters
    _import_filters = None
    package = os.path.basename(path) == "__init__.py"
    if package and not by_pytest and _pyleak_pytest.available() and \
            _pyleak_pytest.wants_pytest(path):
        # pytest collects no __init__.py in a directory it runs (it is
        # not test_*.py); only unittest's discovery has package tests.
        return ("ok", types.ModuleType(modname), [])
    if by_pytest or (_pyleak_pytest.available() and
                     _pyleak_pytest.wants_pytest(path)):
        if root not in sys.path:
            sys.path.insert(0, root)
        out = _pyleak_pytest.collect(path, modname, relfile, keyword)
        if out[0] == "ok":
            items = _select(out[2], selector, relfile)
            if isinstance(items, tuple):
                out[1].close()
                return items
            out = ("ok", out[1], items)
        return out
    try:
        module = _import_file(path, modname, root)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if isinstance(exc, _skip_types()) or _is_pytest_skip(exc):
            return _skip_module(exc, relfile)
        if _missing_pytest(exc):
            out = _import_error(exc, "cannot import " + relfile)
            return (out[0], out[1],
                    _pyleak_pytest.needs_pytest_message(relfile), out[3])
        return _import_error(exc, "cannot import " + relfile)
    style = module_style(module)
    if style == "pytest" and package:
        return ("ok", module, [])
    if style == "pytest" and _pyleak_pytest.available() and \
            wants_pytest(module):
        # pytest imports it again, so that its asserts are rewritten as
        # under pytest.
        if sys.modules.get(modname) is module:
            del sys.modules[modname]
        del module
        return collect_file(path, modname, root, relfile, selector,
                            keyword, True)
    set_style(style)
    derandomize(list(vars(module).values()))
    items = _select(_module_items(module, modname, relfile, style),
                    selector, relfile)
    if isinstance(items, tuple):
        return items
    if keyword:
        items = _by_keyword(items, keyword, modname, relfile)
        if isinstance(items, tuple):
            return items
    return ("ok", module, items)


def _relfile(path):
    path = os.path.realpath(path)
    cwd = os.path.realpath(os.getcwd())
    if path.startswith(cwd + os.sep):
        return os.path.relpath(path, cwd)
    return path


def collect_callable(modname, attr):
    """Resolve package.module:attr to tests.

    Returns ("ok", module, items), ("skip", reason) or an error tuple.
    """
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(modname)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if isinstance(exc, _skip_types()) or _is_pytest_skip(exc):
            return _skip_module(exc, modname)
        return _import_error(exc, "cannot import " + modname)
    relfile = _relfile(getattr(module, "__file__", None) or modname)
    set_style(module_style(module))
    derandomize(list(vars(module).values()))
    obj = module
    owner = None
    for part in attr.split("."):
        if not hasattr(obj, part):
            return ("usage", "pyleak.NotFound",
                    "%s has no attribute %r (from target %s:%s)"
                    % (getattr(obj, "__name__", modname), part, modname,
                       attr), "")
        owner, obj = obj, getattr(obj, part)
    if isinstance(obj, type) and _is_testcase(obj):
        return ("ok", module, _unittest_items(obj, modname, relfile))
    if isinstance(obj, type):
        items = _class_items(obj, modname, relfile)
        if items:
            return ("ok", module, items)
    if isinstance(owner, type) and _is_testcase(owner):
        items = [i for i in _unittest_items(owner, modname, relfile)
                 if i.name == attr.split(".")[-1]]
        return ("ok", module, items)
    if not callable(obj):
        return ("usage", "pyleak.NotCallable",
                "%s:%s is of type %s, not something to call; name a test "
                "function, a TestCase class or a test method"
                % (modname, attr, type(obj).__name__), "")
    if isinstance(owner, type):
        if _required_args(obj, bound=True):
            return ("usage", "pyleak.BadTarget",
                    "%s:%s needs arguments" % (modname, attr), "")
        return ("ok", module, [Item(
            relfile + "::" + attr.replace(".", "::"),
            modname + "." + owner.__qualname__, attr.split(".")[-1],
            relfile, _line_of(obj), _method_call(owner, obj.__name__),
            control=_control(obj, owner))])
    required = _required_args(obj)
    if required:
        return ("usage", "pyleak.BadTarget",
                "%s:%s needs arguments (%s); name a callable that takes "
                "none" % (modname, attr, ", ".join(required)), "")
    return ("ok", module, [Item(relfile + "::" + attr, modname, attr,
                                relfile, _line_of(obj), _guarded_call(obj),
                                control=_control(obj))])


# -- fixtures around all rounds -------------------------------------------

def _guarded(fn, what):
    try:
        fn()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if isinstance(exc, _skip_types()) or _is_pytest_skip(exc):
            reason = str(exc)
            exc.__traceback__ = None
            return ("skipped", _type_name(type(exc)), reason, "")
        out = _exc_tuple("error", exc)
        return ("error", out[1], what + " failed: " + out[2], out[3])
    return None


def _module_fixture(module, unittest_name, pytest_name):
    """The module's setup or teardown function: unittest's in a unittest
    module that uses unittest; in a pytest file the first of unittest's
    and pytest's names, as pytest looks them up."""
    if _style == "unittest":
        if not _module_uses_unittest(module):
            return None, None
        return getattr(module, unittest_name, None), unittest_name
    fn = _xunit(module, (unittest_name, pytest_name))
    if fn is None:
        return None, None
    return (functools.partial(_call_optional, fn, module),
            getattr(fn, "__name__", pytest_name))


def module_setup(module):
    if not isinstance(module, types.ModuleType):
        return None  # a pytest file: its fixtures come with the first call
    fn, name = _module_fixture(module, "setUpModule", "setup_module")
    out = _guarded(fn, name) if fn is not None else None
    if out is not None:
        # No tearDownModule after a failed setUpModule, but the cleanups
        # it added still run, as under unittest.
        cleanups = _pyleak_interp.module_cleanups()
        if cleanups is not None:
            _guarded(cleanups, "module cleanups")
    return out


def module_teardown(module):
    out = None
    if not isinstance(module, types.ModuleType):
        return module.close()  # a pytest file: end its session
    fn, name = _module_fixture(module, "tearDownModule", "teardown_module")
    if fn is not None:
        out = _guarded(fn, name)
    if _module_uses_unittest(module):
        cleanups = _pyleak_interp.module_cleanups()
        if cleanups is not None:
            out = out or _guarded(cleanups, "module cleanups")
    return out


def _module_uses_unittest(module):
    return any(_is_testcase(v) for v in vars(module).values())


def class_setup(cls):
    if not isinstance(cls, type):
        return None  # a pytest class: set up by its first test's call
    out = _guarded(cls.setUpClass, cls.__qualname__ + ".setUpClass")
    if out is not None:
        # No tearDownClass after a failed (or skipping) setUpClass, but
        # the class cleanups it added still run, as under unittest.
        _class_cleanups(cls)
    return out


def _class_cleanups(cls):
    """Run the class cleanups; unittest keeps their errors in
    cls.tearDown_exceptions instead of raising them."""
    what = cls.__qualname__ + " class cleanups"
    out = _guarded(cls.doClassCleanups, what)
    errors = getattr(cls, "tearDown_exceptions", None)
    if errors:
        if out is None:
            exc = errors[0][1]
            out = _exc_tuple("error", exc)
            out = ("error", out[1], what + " failed: " + out[2], out[3])
        errors.clear()
    return out


def class_teardown(cls):
    if not isinstance(cls, type):
        return cls.teardown()
    out = _guarded(cls.tearDownClass, cls.__qualname__ + ".tearDownClass")
    cleanup = _class_cleanups(cls)
    return out or cleanup


# -- tests that repeat only with their fixtures ---------------------------

def _own_fixture(cls, names):
    """Whether cls defines (or inherits from other than TestCase) one of
    the class fixture methods names."""
    import unittest

    for name in names:
        have = getattr(cls, name, None)
        base = getattr(unittest.TestCase, name, None)
        if have is not None and getattr(have, "__func__", have) is not \
                getattr(base, "__func__", base):
            return True
    return False


def rescope(item, module, level):
    """A test whose first call passed and a later call failed is measured
    again with its fixtures around every call, as it repeats under a
    runner that repeats whole classes or modules (CPython's refleak
    hunter): level 1 with its class's fixtures (setUpClass ...
    tearDownClass) around each call, level 2 with its module's too.

    Tears down what is set up now at that level and returns (call,
    restore): call() runs the fixtures and the test and returns a result
    as an item's call does; restore() sets them up again for the tests
    that follow, and returns None or an error result. None when the test
    has no fixtures at that level."""
    if item.rescope is not None:
        return item.rescope(level)
    cls = item.cls if _is_testcase(item.cls) else None
    if level == 1:
        if cls is None or not _own_fixture(
                cls, ("setUpClass", "tearDownClass")):
            return None
        mod = None
    elif level == 2:
        if not isinstance(module, types.ModuleType) or (
                _module_fixture(module, "setUpModule",
                                "setup_module")[0] is None and
                _module_fixture(module, "tearDownModule",
                                "teardown_module")[0] is None):
            return None
        mod = module
    else:
        return None
    test = item.call
    if cls is not None:
        class_teardown(cls)
    if mod is not None:
        module_teardown(mod)

    def call():
        out = module_setup(mod) if mod is not None else None
        if out is not None:
            return out
        out = class_setup(cls) if cls is not None else None
        if out is None:
            out = test()
            if cls is not None:
                out = out or class_teardown(cls)
        if mod is not None:
            out = out or module_teardown(mod)
        return out

    def restore():
        out = module_setup(mod) if mod is not None else None
        if out is None and cls is not None:
            out = class_setup(cls)
        return out
    return call, restore


# -- output ----------------------------------------------------------------

class _Sink(io.TextIOBase):
    """Where a test's output goes after its first call: nowhere."""

    encoding = "utf-8"
    errors = "strict"

    def writable(self):
        return True

    def write(self, s):
        return len(s)


class _Capture(io.StringIO):
    """A test's output, kept up to `limit` characters.

    A test that prints in a loop must not make the report huge, so the
    rest is counted and a note says how much was dropped."""

    limit = 65536

    def __init__(self):
        super().__init__()
        self.dropped = 0

    def write(self, s):
        room = self.limit - self.tell()
        if len(s) > room:
            self.dropped += len(s) - max(room, 0)
            if room > 0:
                super().write(s[:room])
            return len(s)
        return super().write(s)

    def text(self):
        text = self.getvalue()
        if self.dropped:
            if text and not text.endswith("\n"):
                text += "\n"
            text += ("[output cut at %d characters; %d more not kept]\n"
                     % (self.limit, self.dropped))
        return text


_saved_streams = None
_sink = _Sink()
_capture = None


def _show_hidden_warnings(warnings):
    """Let warnings Python hides by default reach the captured stderr.

    Deprecation and resource warnings are ignored by the stock filters
    (outside __main__), yet they are what a test's author wants to see
    next to a leak (an unclosed file is a ResourceWarning). "default"
    entries go just before the stock "ignore" entries, so filters the
    user or the test installed still take precedence."""
    hidden = (DeprecationWarning, PendingDeprecationWarning,
              ResourceWarning)
    for i, f in enumerate(warnings.filters):
        if f[0] == "ignore" and f[1] is None and f[2] in hidden:
            for category in hidden:
                warnings.filters.insert(
                    i, ("default", None, category, None, 0))
            warnings._filters_mutated()
            return


def begin_capture():
    """Send the first call's stdout, stderr and warnings to buffers."""
    global _saved_streams, _capture
    import warnings
    _saved_streams = (sys.stdout, sys.stderr)
    # catch_warnings puts the filters and showwarning back on exit; the
    # warnings themselves go through the default showwarning, which
    # writes to sys.stderr, that is, into the capture, in order.
    _capture = warnings.catch_warnings()
    _capture.__enter__()
    _show_hidden_warnings(warnings)
    sys.stdout = _Capture()
    sys.stderr = _Capture()


def end_capture():
    """Restore the streams; return (stdout, stderr) of the first call."""
    global _saved_streams, _capture
    out, err = sys.stdout, sys.stderr
    out = out.text() if isinstance(out, _Capture) else ""
    err = err.text() if isinstance(err, _Capture) else ""
    if _saved_streams is not None:
        sys.stdout, sys.stderr = _saved_streams
        _saved_streams = None
    if _capture is not None:
        _capture.__exit__(None, None, None)
        _capture = None
    return out, err


def mute():
    global _saved_streams
    _saved_streams = (sys.stdout, sys.stderr)
    sys.stdout = sys.stderr = _sink


def unmute():
    global _saved_streams
    if _saved_streams is not None:
        sys.stdout, sys.stderr = _saved_streams
        _saved_streams = None


# -- restoring interpreter state between rounds ---------------------------

def _abc_dump(cls):
    try:
        from _abc import _get_dump
    except ImportError:  # the pure-Python abc module
        import weakref
        return set(weakref.ref(o) for o in cls._abc_registry)
    return _get_dump(cls)[0]


def _abstract_bases():
    import collections.abc
    from inspect import isabstract

    out = []
    for name in collections.abc.__all__:
        cls = getattr(collections.abc, name)
        if isabstract(cls):
            out.append(cls)
    return out


def _restore_dict(d, saved):
    if d != saved:
        d.clear()
        d.update(saved)


class Cleaner:
    """Puts back what tests commonly change and empties caches that fill
    slowly with harmless data, so a round measures the test alone.

    Made once per test (a snapshot of the state before its rounds) and
    called after every round.  Only modules already imported are touched.
    """

    def __init__(self):
        import copyreg
        import warnings

        self.filters = warnings.filters[:]
        self.dispatch = copyreg.dispatch_table.copy()
        self.importer_cache = sys.path_importer_cache.copy()
        zipimport = sys.modules.get("zipimport")
        self.zip_cache = zipimport._zip_directory_cache.copy() \
            if zipimport is not None else None
        # The abstract bases are fixed; their subclasses are read anew
        # each round, since a test may add some.
        self.bases = _abstract_bases()
        self.abcs = {}
        for abc in self.bases:
            for obj in abc.__subclasses__() + [abc]:
                self.abcs[obj] = _abc_dump(obj)
        self.saved_abcs = {"bases": self.bases, "abcs": self.abcs}

    def __call__(self):
        import copyreg
        import warnings

        # Only what changed is put back: rebuilding a table that is
        # already right can leave it in another size class, which shows
        # as a few blocks of noise.
        if warnings.filters != self.filters:
            warnings.filters[:] = self.filters
        _restore_dict(copyreg.dispatch_table, self.dispatch)
        _restore_dict(sys.path_importer_cache, self.importer_cache)
        zipimport = sys.modules.get("zipimport")
        if zipimport is not None and self.zip_cache is not None:
            _restore_dict(zipimport._zip_directory_cache, self.zip_cache)
        _pyleak_interp.restore_abcs(self.saved_abcs)
        _pyleak_interp.clear_caches()
        # Last: the calls above may have changed types.
        _pyleak_interp.clear_internal_caches()


# -- what a test leaves behind that is not memory -------------------------

def use_tmpdir(path):
    """Make path the temporary directory of every test in this process
    and of the processes they start: what the tests leave there is the
    tmpfiles metric, and it goes when the run ends."""
    import tempfile

    os.environ["TMPDIR"] = path
    tempfile.tempdir = path


_env_start = None


def _env_baseline():
    import signal

    handlers = {}
    for sig in signal.valid_signals():
        try:
            handlers[sig] = signal.getsignal(sig)
        except (OSError, ValueError):
            pass
    return os.getcwd(), handlers


def _logging_handlers(logging):
    n = len(logging.root.handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        handlers = getattr(logger, "handlers", None)  # not placeholders
        if handlers:
            n += len(handlers)
    return n


def _replaced_streams():
    n = 0
    for s, orig in ((sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)):
        if s is not orig and not isinstance(s, (_Sink, _Capture)):
            n += 1
    return n


def reap_children():
    """Wait for the children subprocess has finished with: it reaps
    those of Popen objects already gone only at its next Popen."""
    sp = sys.modules.get("subprocess")
    if sp is not None:
        try:
            sp._cleanup()
        except Exception:
            pass


def environment():
    """The size of what a test can add to the process besides memory:
    os.environ, sys.path, the import hooks, warnings filters, logging
    handlers, atexit callbacks, signal handlers changed since the first
    reading, the working directory (moved from where it was, and its
    entries) and replaced sys.stdout/stderr. One number, the env metric:
    growth across rounds is a test that keeps adding. First reaps the
    children subprocess has finished with, so that its deferred waiting
    does not count as a child left behind."""
    global _env_start
    import atexit
    import signal

    reap_children()
    if _env_start is None:
        _env_start = _env_baseline()
    cwd, handlers = _env_start
    n = len(os.environ) + len(sys.path) + len(sys.meta_path) + \
        len(sys.path_hooks)
    warnings = sys.modules.get("warnings")
    if warnings is not None:
        n += len(warnings.filters)
    logging = sys.modules.get("logging")
    if logging is not None:
        try:
            n += _logging_handlers(logging)
        except Exception:
            pass
    n += atexit._ncallbacks()
    for sig, handler in handlers.items():
        try:
            if signal.getsignal(sig) is not handler:
                n += 1
        except (OSError, ValueError):
            pass
    try:
        here = os.getcwd()
        n += (here != cwd) + len(os.listdir(here))
    except OSError:
        n += 1
    return n + _replaced_streams()


def stop_on_sigterm():
    import signal

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def collect():
    """Three full collections: finalizers can free more on later passes."""
    gc.collect()
    gc.collect()
    gc.collect()
