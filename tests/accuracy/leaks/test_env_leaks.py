"""Labelled leaks of the environment: each call adds to what the process
keeps for every later test (os.environ, sys.path, import hooks, logging
handlers, atexit callbacks) and never takes it back.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file; see tests/accuracy/leaks/test_leaks.py for the labels. Standard
library only; every call is quick. The hooks added find nothing and the
callbacks do nothing.
"""
import atexit
import itertools
import logging
import os
import sys

_counter = itertools.count()


def test_leak_environ_key_per_call():
    """metric: env

    A new environment variable per call."""
    os.environ["PLK_ACC_%d" % next(_counter)] = "1"


def test_leak_sys_path_entry_per_call():
    """metric: env

    A new import path per call (a folder that does not exist)."""
    sys.path.append("/nonexistent/plk-acc-%d" % next(_counter))


class _NoFinder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        return None


def test_leak_meta_path_finder_per_call():
    """metric: env

    An import hook per call, appended last so it finds nothing."""
    sys.meta_path.append(_NoFinder())


def test_leak_named_logger_handler_per_call():
    """metric: env

    A handler added to a named logger per call, never removed."""
    logging.getLogger("plk.acc.env").addHandler(logging.NullHandler())


def _nothing():
    return None


def test_leak_atexit_callback_per_call():
    """metric: env

    The same callback registered again on every call."""
    atexit.register(_nothing)
