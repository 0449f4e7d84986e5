"""pyleak-ci's pytest support: collecting a file with pytest's own
machinery and running each item's setup, call and teardown per call.

Compiled into the pyleak-ci binary and imported as ``_pyleak_pytest``.

One pytest session per test file: conftest.py files, plugins, fixtures,
parametrize, marks and -k all work as under pytest. Every call of an item
runs its setup, call and teardown phases, so function-scoped fixtures are
made and finished per call, while class-, module- and session-scoped
fixtures are made by the first call (which is not measured) and live
across the rounds until their class or the file is done.

Which files go through pytest (when pytest is importable): see
``wants_pytest``.
"""

import functools
import os
import sys

import _pyleak_harness as harness
import pyleak_ci

__all__ = ["available", "wants_pytest", "collect", "PytestFile",
           "PytestScope"]

# Plugins that would write files (the cache, and stepwise which needs
# it), replace the terminal output or the fault handler; none of that
# belongs in a leak hunt. pytest's own terminal reporter stays (pytest
# reads its options) but writes to a sink. Plugins that start worker
# processes or trace every line (xdist, pytest-cov) stay loaded, so that
# their options in a project's addopts still parse, and are switched off
# in _start.
_BLOCKED = ("cacheprovider", "stepwise", "sugar", "faulthandler")

_available = None


def available():
    """Whether pytest can be imported in this environment (checked once,
    without importing it)."""
    global _available
    if _available is None:
        import importlib.util
        try:
            _available = importlib.util.find_spec("pytest") is not None
        except (ImportError, ValueError):
            _available = False
    return _available


# -- which files go through pytest ----------------------------------------

_CONFIG_FILES = (("pytest.ini", None), (".pytest.ini", None),
                 ("pyproject.toml", "[tool.pytest.ini_options]"),
                 ("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]"))
_dir_cache = {}


def _dir_says_pytest(path):
    """A conftest.py or a pytest configuration in path or above it."""
    path = os.path.abspath(path)
    seen = []
    answer = False
    while True:
        if path in _dir_cache:
            answer = _dir_cache[path]
            break
        seen.append(path)
        if os.path.isfile(os.path.join(path, "conftest.py")):
            answer = True
            break
        if any(_has_section(os.path.join(path, name), section)
               for name, section in _CONFIG_FILES):
            answer = True
            break
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for p in seen:
        _dir_cache[p] = answer
    return answer


def _has_section(path, section):
    if not os.path.isfile(path):
        return False
    if section is None:
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return any(line.strip() == section for line in f)
    except OSError:
        return False


def _source_says_pytest(path):
    """The file imports pytest (or _pytest)."""
    import ast

    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return False  # the import reports it properly
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name.split(".")[0] in ("pytest", "_pytest")
                   for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            if node.module and node.level == 0 and \
                    node.module.split(".")[0] in ("pytest", "_pytest"):
                return True
    return False


def wants_pytest(path):
    """Whether the file at path goes to pytest before it is imported: a
    conftest.py or a pytest configuration (pytest.ini,
    [tool.pytest.ini_options], ...) in its folder or above, or the file
    imports pytest. Other files are imported by pyleak-ci, which then
    collects a unittest module as `python -m unittest` does and a file
    of plain tests by pytest's default rules; a plain file whose tests
    take arguments (fixtures) or are coroutines goes to pytest after all
    (see the harness's collect_file)."""
    return _dir_says_pytest(os.path.dirname(path)) or \
        _source_says_pytest(path)


def needs_pytest_message(relfile):
    """For a test file whose import failed for want of pytest."""
    return ("%s imports pytest, which cannot be imported by %s; install "
            "pytest into that environment, or point pyleak-ci at the "
            "virtual environment that has it (activate it, or pass "
            "--python PATH)" % (relfile, sys.executable or "this Python"))


# -- one file's pytest session --------------------------------------------

class PytestFile:
    """What the engine gets as the "module" of a file collected by pytest:
    module_setup and module_teardown of the harness end its session."""

    def __init__(self, path, config, session):
        self.__file__ = path
        self.config = config
        self.session = session
        self.scopes = {}
        self.closed = False

    def scope(self, node):
        """One token per class node, for the engine's class boundaries."""
        tok = self.scopes.get(node)
        if tok is None:
            tok = self.scopes[node] = PytestScope(self, node)
        return tok

    def close(self):
        """Tear down every fixture still alive and end the session.
        Returns None or an error result tuple."""
        if self.closed:
            return None
        self.closed = True
        out = None
        try:
            self.session._setupstate.teardown_exact(None)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            out = _error("fixture teardown at the end of the file", exc)
        if any(harness._is_testcase(getattr(i, "cls", None))
               for i in self.session.items):
            import unittest  # noqa: F401 (module_cleanups reads it)
            import _pyleak_interp
            cleanups = _pyleak_interp.module_cleanups()
            if cleanups is not None:
                # pytest before 8 does not run module cleanups.
                out = out or harness._guarded(cleanups, "module cleanups")
        try:
            self.config.hook.pytest_sessionfinish(
                session=self.session, exitstatus=0)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            out = out or _error("pytest_sessionfinish", exc)
        finally:
            self.config._ensure_unconfigure()
            self.scopes.clear()
            if _current[0] is self:
                _current[0] = None
        return out


class PytestScope:
    """A pytest class (node) as the engine's `cls`: the engine ends it
    after the class's last test, as pytest does."""

    def __init__(self, owner, node):
        self.owner = owner
        self.node = node
        self.__qualname__ = node.name

    def teardown(self):
        try:
            self.owner.session._setupstate.teardown_exact(self.node.parent)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            return _error("teardown of " + self.node.name, exc)
        return None


# The file whose session is open; closed before the next file starts, in
# case the engine never got to module_teardown.
_current = [None]


def _error(what, exc):
    out = harness._exc_tuple("error", exc)
    return ("error", out[1], what + " failed: " + out[2], out[3])


class _Recorder:
    """A plugin that keeps what collection went wrong and registers the
    pyleak marker."""

    def __init__(self):
        self.failed = []
        self.skipped = []

    def pytest_configure(self, config):
        config.addinivalue_line(
            "markers",
            "pyleak(skip=, allow=, per_call=, rounds=, reason=): how "
            "pyleak-ci checks this test for leaks")

    def pytest_collectreport(self, report):
        if report.failed:
            self.failed.append(report)
        elif report.skipped:
            self.skipped.append(report)


def _collect_error_message(report):
    """The 'E   ...' line pytest puts under a collection error."""
    text = report.longreprtext or ""
    lines = [ln[1:].strip() for ln in text.splitlines()
             if ln.startswith("E ")]
    return lines[-1] if lines else harness._first_line(text)


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr or "")
    if reason.startswith("Skipped: "):
        reason = reason[len("Skipped: "):]
    return reason or "skipped"


def _start(path, keyword):
    """A configured pytest session for path, and the collection plugin."""
    from _pytest.config import _prepareconfig
    from _pytest.main import Session

    import importlib.util

    args = ["-s"]
    for name in _BLOCKED:
        args += ["-p", "no:" + name]
    if importlib.util.find_spec("pytest_cov") is not None:
        args.append("--no-cov")
    if keyword:
        args += ["-k", keyword]
    args.append(path)
    rec = _Recorder()
    config = _prepareconfig(args, plugins=[rec])
    saved = sys.stdout
    try:
        # pytest-xdist (-n in addopts) would start workers when it sees
        # these at configure time; every test runs here, in-process.
        for name, value in (("dist", "no"), ("numprocesses", None),
                            ("looponfail", False)):
            if hasattr(config.option, name):
                setattr(config.option, name, value)
        # The terminal reporter keeps the stream it finds at configure
        # time: give it one that goes nowhere.
        sys.stdout = harness._sink
        config._do_configure()
        session = Session.from_config(config)
        config.hook.pytest_sessionstart(session=session)
    except BaseException:
        config._ensure_unconfigure()
        raise
    finally:
        sys.stdout = saved
    return config, session, rec


def collect(path, modname, relfile, keyword):
    """Collect path with pytest. Returns ("ok", PytestFile, items) with
    harness Items, ("skip", reason), or an error/usage tuple."""
    import pytest

    if _current[0] is not None:
        _current[0].close()
    try:
        config, session, rec = _start(path, keyword)
    except KeyboardInterrupt:
        raise
    except pytest.UsageError as exc:
        return ("usage", "pytest.UsageError",
                "pytest rejected the options for %s: %s" % (relfile, exc),
                "")
    except BaseException as exc:
        return harness._import_error(
            exc, "cannot set up pytest for " + relfile)
    state = PytestFile(path, config, session)
    _current[0] = state
    try:
        # Through the hook, so that pytest's warnings plugin applies the
        # project's warning filters to the import, as under pytest.
        config.hook.pytest_collection(session=session)
    except KeyboardInterrupt:
        raise
    except pytest.UsageError as exc:
        state.close()
        return ("usage", "pytest.UsageError", "%s: %s" % (relfile, exc), "")
    except BaseException as exc:
        state.close()
        return harness._import_error(exc, "cannot collect " + relfile)
    if rec.failed:
        report = rec.failed[0]
        state.close()
        return ("error", "pytest.CollectError", "cannot collect %s: %s"
                % (relfile, _collect_error_message(report)),
                report.longreprtext)
    if not session.items and rec.skipped:
        reason = _skip_reason(rec.skipped[0])
        state.close()
        return ("skip", reason)
    harness.derandomize([getattr(it, "obj", None) for it in session.items])
    items = [_make_item(state, it, modname, relfile) for it in session.items]
    return ("ok", state, items)


# -- one item --------------------------------------------------------------

def _classes(item):
    from _pytest.python import Class

    return [n for n in item.listchain() if isinstance(n, Class)]


def _make_item(state, item, modname, relfile):
    tail = item.nodeid.split("::", 1)[1] if "::" in item.nodeid \
        else item.name
    classes = _classes(item)
    classname = modname
    if classes:
        classname += "." + ".".join(c.name for c in classes)
    line = item.location[1]
    line = line + 1 if isinstance(line, int) else 0
    control, problem = _control(item, classes)
    out = harness.Item(relfile + "::" + tail, classname, item.name, relfile,
                       line, _item_call(state, item, problem), None,
                       state.scope(classes[-1]) if classes else None)
    out.control = control
    if problem is None:
        out.rescope = functools.partial(_rescope, state, item, bool(classes))
    return out


def _rescope(state, item, in_class, level):
    """The pytest side of harness.rescope: every call then finishes the
    fixtures of the test's class (level 1) or of its module and class
    (level 2), so that the next call makes them anew."""
    from _pytest.python import Module

    if level == 1:
        if not in_class:
            return None
        keep = item.getparent(Module)
    elif level == 2:
        keep = item.session
    else:
        return None
    setupstate = state.session._setupstate
    try:
        setupstate.teardown_exact(keep)
    except KeyboardInterrupt:
        raise
    except BaseException:
        pass  # the next call's setup reports what is wrong
    return _item_call(state, item, None, keep), lambda: None


def _control(item, classes):
    """The item's pyleak_ci control from its markers and the decorators on
    its class and function; (control, problem) where problem is the
    message of a wrong marker."""
    ctl = None
    try:
        for mark in reversed(list(item.iter_markers("pyleak"))):
            ctl = pyleak_ci.merge(ctl, pyleak_ci.control_from_mark(
                mark.args, mark.kwargs))
    except ValueError as exc:
        return None, str(exc)
    if classes:
        ctl = pyleak_ci.merge(ctl, getattr(classes[-1].obj, "__pyleak__",
                                           None))
    fn = getattr(item, "function", None) or getattr(item, "obj", None)
    return pyleak_ci.merge(ctl, getattr(fn, "__pyleak__", None)), None


def _outcome(report, info, when):
    """A harness result tuple for a pytest report, None when it passed."""
    if report.passed:
        return None
    if report.skipped:
        wasxfail = getattr(report, "wasxfail", None)
        if wasxfail is not None:
            return ("skipped", "pytest.xfail",
                    "xfail: " + (wasxfail or "expected to fail"), "")
        return ("skipped", "pytest.skip", _skip_reason(report), "")
    text = report.longreprtext
    if text and not text.endswith("\n"):
        text += "\n"
    exc = info.excinfo.value if info.excinfo is not None else None
    if exc is None:
        # A strict xfail that passed, or a failure pytest made up.
        msg = harness._first_line(text) or "failed"
        return ("failed", "pytest.Failed", msg, text)
    name = harness._type_name(type(exc))
    try:
        line = harness._first_line(str(exc))
    except Exception:
        line = "<unprintable exception>"
    msg = name + ": " + line if line else name
    if when == "call":
        return ("failed", name, msg, text)
    return ("error", name, "error at %s: %s" % (when, msg), text)


def _finish_target(fin, fixturedef_type):
    """The fixture a finalizer finishes, when it is one of the 'finish
    that fixture' finalizers pytest registers on every request."""
    if isinstance(fin, functools.partial):
        owner = getattr(fin.func, "__self__", None)
        if isinstance(owner, fixturedef_type) and \
                getattr(fin.func, "__name__", "") == "finish":
            return owner
        return None
    closure = getattr(fin, "__closure__", None)
    if closure and "_schedule_finalizers" in getattr(fin, "__qualname__",
                                                     ""):
        for cell in closure:
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, fixturedef_type):
                return value
    return None


def _prune(finalizers, fixturedef_type):
    """Drop finalizers that finish a fixture already finished, or one
    finished by an earlier entry of the same list. pytest adds such an
    entry each time a test requests a longer-lived fixture (fine for one
    pass over a suite); run many times, the lists would grow per call and
    every test using such a fixture would look like a leak. Finishing a
    finished fixture does nothing, so dropping them changes nothing."""
    seen = set()
    keep = []
    for fin in finalizers:
        target = _finish_target(fin, fixturedef_type)
        if target is not None:
            if target.cached_result is None or id(target) in seen:
                continue
            seen.add(id(target))
        keep.append(fin)
    if len(keep) != len(finalizers):
        finalizers[:] = keep


def _warning_filters(item):
    """The warning filters pytest's warnings plugin sets around every
    test (see _pytest/warnings.py): deprecation warnings always shown
    unless Python's -W options say otherwise, then the ini's
    filterwarnings, then -W options from the command line or addopts,
    then the test's filterwarnings marks, nearest first. In the order
    they are applied: the last one wins. Read once per test."""
    from _pytest.config import parse_warning_filter

    config = item.config
    out = []
    if not sys.warnoptions:
        out.append(("always", "", DeprecationWarning, "", 0))
        out.append(("always", "", PendingDeprecationWarning, "", 0))
    for arg in config.getini("filterwarnings"):
        out.append(parse_warning_filter(arg, escape=False))
    for arg in config.known_args_namespace.pythonwarnings or []:
        out.append(parse_warning_filter(arg, escape=True))
    for mark in item.iter_markers(name="filterwarnings"):
        for arg in mark.args:
            out.append(parse_warning_filter(arg, escape=False))
    return harness.compile_filters(out)


def _item_call(state, item, problem, keep=None):
    """The per-call wrapper of a pytest item: setup, call and teardown,
    leaving longer-lived fixtures in place for the next call (those of
    the nodes above keep, a node or the item's parent by default)."""
    from _pytest.fixtures import FixtureDef
    from _pytest.outcomes import Exit
    from _pytest.runner import call_runtest_hook

    setupstate = state.session._setupstate
    parent = item.parent if keep is None else keep
    ihook = item.ihook
    info_ = getattr(item, "_fixtureinfo", None)
    fixturedefs = [fd for defs in
                   getattr(info_, "name2fixturedefs", {}).values()
                   for fd in defs]

    if problem is not None:
        return lambda: ("error", "pyleak.UsageError", problem, "")
    try:
        filters = _warning_filters(item)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        out = _error("the filterwarnings of " + item.nodeid, exc)
        return lambda: out

    def phases():
        # A test that ran before this one may have left its class (and
        # its fixtures) in place; end them first, as pytest would have.
        setupstate.teardown_exact(item)
        hasrequest = hasattr(item, "_request")
        if hasrequest and not item._request:
            item._initrequest()
        out = None
        setup_ok = False
        for when in ("setup", "call", "teardown"):
            if when == "call" and not setup_ok:
                continue
            kw = {"nextitem": parent} if when == "teardown" else {}
            info = call_runtest_hook(item, when, **kw)
            report = ihook.pytest_runtest_makereport(item=item, call=info)
            if when == "setup":
                setup_ok = report.passed
            if out is None:
                out = _outcome(report, info, when)
            del info, report
        if hasrequest:
            item._request = False
            item.funcargs = None
        return out

    # Folders that function-scoped fixtures make with tmp_path_factory
    # (tmp_path, tmpdir) are one per test under pytest, but one per call
    # here: from the second call on, each call's are removed after its
    # teardown, so that they neither fill the disk nor count as
    # temporary files the test leaves behind. The first call's stay: the
    # class- or module-scoped fixtures it set up may have made some.
    factory = None
    if "tmp_path_factory" in getattr(item, "fixturenames", ()):
        factory = getattr(state.session.config, "_tmp_path_factory", None)
    made = [0]

    def call():
        before = _tmp_entries(factory) if made[0] else None
        made[0] += 1
        try:
            out = harness.with_warnings(phases, filters, True)
        except KeyboardInterrupt:
            raise
        except Exit as exc:
            out = _error("pytest.exit() in the test", exc)
        except BaseException as exc:
            out = _error("pytest", exc)
        finally:
            for finalizers, _ in setupstate.stack.values():
                _prune(finalizers, FixtureDef)
            for fd in fixturedefs:
                if fd.cached_result is not None:
                    _prune(fd._finalizers, FixtureDef)
            sections = getattr(item, "_report_sections", None)
            if sections:
                sections.clear()
            if before is not None:
                _remove_new_entries(factory, before)
        return out
    return call


def _tmp_entries(factory):
    """(basetemp, its entries) of a tmp_path_factory, or None when it has
    made no folder yet."""
    base = getattr(factory, "_basetemp", None)
    if base is None:
        return None
    try:
        return base, set(os.listdir(base))
    except OSError:
        return None


def _remove_new_entries(factory, before):
    import shutil

    base, names = before
    try:
        now = os.listdir(base)
    except OSError:
        return
    for name in now:
        if name not in names:
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
