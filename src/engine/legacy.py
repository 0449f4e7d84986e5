"""pyleak-ci's old name for its control module, kept for one release.

Compiled into the pyleak-ci binary and imported as ``_pyleak_legacy``.
The module tests import for per-test control used to be called
``pyleak``; that name belongs to an unrelated package on the Python
Package Index.  This finder answers ``import pyleak`` only when no other
finder on sys.meta_path can (it is appended last), so an installed
``pyleak`` is left alone; the alias it gives is ``pyleak_ci`` under the
old name, with a DeprecationWarning pointing at the importing line.
"""

import importlib.abc
import importlib.util
import sys
import warnings

import pyleak_ci

OLD_NAME = "pyleak"
MESSAGE = ("'import pyleak' is deprecated: pyleak-ci's control module is "
           "now called pyleak_ci (write 'import pyleak_ci' and "
           "'@pyleak_ci.allow(...)'); the old name goes away in the next "
           "release")


def _importer_frame():
    """The frame of the import statement: the first one outside the
    import system and this module."""
    f = sys._getframe(1)
    while f is not None:
        name = f.f_code.co_filename
        if not (name.startswith("<frozen importlib") or
                name == __file__ or name == "<pyleak-legacy>"):
            return f
        f = f.f_back
    return None


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        for name in pyleak_ci.__all__ + ["merge", "__version__"]:
            setattr(module, name, getattr(pyleak_ci, name))
        module.__doc__ = pyleak_ci.__doc__
        f = _importer_frame()
        if f is None:
            warnings.warn(MESSAGE, DeprecationWarning, stacklevel=2)
            return
        # Python hides DeprecationWarning outside __main__ by default;
        # this one is for the user who wrote the import, so it is shown
        # (once per importing file) whatever the filters say.
        with warnings.catch_warnings():
            warnings.simplefilter("default", DeprecationWarning)
            warnings.warn_explicit(MESSAGE, DeprecationWarning,
                                   f.f_code.co_filename, f.f_lineno,
                                   module=f.f_globals.get("__name__"),
                                   registry={})


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != OLD_NAME or path is not None:
            return None
        return importlib.util.spec_from_loader(OLD_NAME, _Loader(),
                                               origin="pyleak-ci")


def install():
    """Append the finder once (idempotent)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())


install()
