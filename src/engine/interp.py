"""What differs between CPython versions on pyleak-ci's Python side.

Embedded in the runner as ``_pyleak_interp``; the C half of the
interpreter layer is src/interp.h.  The per-round restore follows the
refleak hunter that ships with each version (``Lib/test/libregrtest``):
the same caches are emptied, from the version that first empties them.
"""

import sys

__all__ = ["clear_caches", "clear_internal_caches", "code_lines",
           "module_cleanups", "referents_safe", "restore_abcs"]

_V = sys.version_info[:2]


def _run_typing_cleanups(typing):
    for fn in typing._cleanups:
        fn()


def _clear_typing_abcs(typing):
    # 3.13: the caches of typing's own abstract classes too.
    from inspect import isabstract

    for abc in filter(isabstract, list(typing.__dict__.values())):
        for obj in abc.__subclasses__() + [abc]:
            obj._abc_caches_clear()


def _clear_inspect_313(inspect):
    inspect._shadowed_dict_from_weakref_mro_tuple.cache_clear()
    inspect._filesbymodname.clear()
    inspect.modulesbyfile.clear()


# Caches that fill slowly with harmless data, and how to empty each:
# (first version, last version or None, module, how).  Only modules
# already imported are touched.
_CACHE_CLEARERS = (
    ((3, 9), (3, 11), "distutils.dir_util",
     lambda m: m._path_created.clear()),
    ((3, 9), None, "re", lambda m: m.purge()),
    ((3, 9), None, "_strptime", lambda m: m._regex_cache.clear()),
    ((3, 9), None, "urllib.parse", lambda m: m.clear_cache()),
    ((3, 9), None, "urllib.request", lambda m: m.urlcleanup()),
    ((3, 9), None, "linecache", lambda m: m.clearcache()),
    ((3, 9), None, "mimetypes", lambda m: m._default_mime_types()),
    ((3, 9), None, "filecmp", lambda m: m._cache.clear()),
    ((3, 9), None, "struct", lambda m: m._clearcache()),
    ((3, 9), None, "doctest", lambda m: setattr(m, "master", None)),
    ((3, 9), None, "ctypes", lambda m: m._reset_cache()),
    ((3, 9), None, "typing", _run_typing_cleanups),
    ((3, 13), None, "typing", _clear_typing_abcs),
    # Emptied by the hunter from 3.12; releases before that have no such
    # cache and are passed over.
    ((3, 9), None, "fractions",
     lambda m: m._hash_algorithm.cache_clear()),
    ((3, 12), (3, 12), "inspect",
     lambda m: m._shadowed_dict_from_mro_tuple.cache_clear()),
    ((3, 13), None, "inspect", _clear_inspect_313),
    ((3, 13), None, "importlib.metadata",
     lambda m: m.FastPath.__new__.cache_clear()),
)

_CLEARERS = tuple((name, clear) for first, last, name, clear
                  in _CACHE_CLEARERS
                  if first <= _V and (last is None or _V <= last))


def clear_caches():
    """Empty the caches this version's refleak hunter empties."""
    for mod in list(sys.modules.values()):
        try:
            if hasattr(mod, "__warningregistry__"):
                del mod.__warningregistry__
        except Exception:
            pass
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            try:
                stream.flush()
            except Exception:
                pass
    for name, clear in _CLEARERS:
        mod = sys.modules.get(name)
        if mod is None:
            continue
        try:
            clear(mod)
        except AttributeError:
            pass  # a patch release without that cache


def clear_internal_caches():
    """The interpreter's own caches (the type cache; on 3.13+ also the
    JIT's traces), last, since everything above can fill them."""
    if _V >= (3, 13):
        sys._clear_internal_caches()
    else:
        sys._clear_type_cache()


def restore_abcs(saved):
    """Put back the registries of the abstract classes in saved
    ({class: set of weak references}) and empty their caches, for every
    class reachable from those bases now.  3.13's hunter also drops what a
    test registered.  An unchanged registry is left alone, and the C
    functions behind abc are called directly: registering again refills
    the caches, and on 3.9 and 3.10 each Python-level call here now and
    then left a frame's blocks behind."""
    try:
        from _abc import _get_dump, _reset_caches, _reset_registry
    except ImportError:  # the pure-Python abc module
        _get_dump = None
    for base in saved["bases"]:
        for obj in base.__subclasses__() + [base]:
            refs = saved["abcs"].get(obj)
            if _get_dump is None:
                if refs is not None:
                    for ref in refs:
                        cls = ref()
                        if cls is not None:
                            obj.register(cls)
                obj._abc_caches_clear()
                continue
            if refs is not None:
                current = _get_dump(obj)[0]
                if current != refs:
                    if _V >= (3, 13):
                        _reset_registry(obj)
                        current = set()
                    for ref in refs:
                        cls = ref()
                        if cls is not None and ref not in current:
                            obj.register(cls)
            _reset_caches(obj)


def code_lines(code):
    """The line numbers a code object's instructions belong to."""
    if hasattr(code, "co_lines"):  # 3.10+
        return {ln for _, _, ln in code.co_lines() if ln is not None}
    import dis

    return {ln for _, ln in dis.findlinestarts(code)}


def referents_safe(obj):
    """Whether gc.get_referents(obj) is safe to call.  3.12's _asyncio
    module hands out the freed iterators of its free list as referents
    (CPython gh-122695): taking and dropping them frees them twice, and
    the next collection can loop forever.  Checked on 3.12.1; the holder
    search passes that module by on every 3.12 release."""
    return not (_V == (3, 12) and type(obj) is type(sys) and
                getattr(obj, "__name__", None) == "_asyncio")


def module_cleanups():
    """unittest's doModuleCleanups, or None before unittest is imported:
    exported from the package from 3.11, only from unittest.case before."""
    case = sys.modules.get("unittest.case")
    return getattr(case, "doModuleCleanups", None)
