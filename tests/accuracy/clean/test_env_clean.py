"""Labelled clean tests of the environment: each changes it and puts it
back, or changes it the same way once.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that every ``test_clean_*`` passes. Standard library
only; every call is quick.
"""
import logging
import os
import signal
import sys
import warnings


def test_clean_environ_set_and_restored():
    """Set for the call and removed again."""
    old = os.environ.get("PLK_ACC_TMP")
    os.environ["PLK_ACC_TMP"] = "1"
    try:
        assert os.environ["PLK_ACC_TMP"] == "1"
    finally:
        if old is None:
            del os.environ["PLK_ACC_TMP"]
        else:
            os.environ["PLK_ACC_TMP"] = old


def test_clean_environ_same_key_every_call():
    """The same key and value on every call: one change, once."""
    os.environ["PLK_ACC_MODE"] = "test"


def test_clean_handler_added_and_removed():
    """A handler for the call, removed after it."""
    logger = logging.getLogger("plk.acc.clean")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        logger.warning("captured")
    finally:
        logger.removeHandler(handler)


def test_clean_sys_path_insert_and_remove():
    """An import path for the call, removed after it."""
    sys.path.insert(0, "/nonexistent/plk-acc-clean")
    try:
        assert sys.path[0] == "/nonexistent/plk-acc-clean"
    finally:
        sys.path.remove("/nonexistent/plk-acc-clean")


def _handler(signum, frame):
    return None


def test_clean_signal_handler_same_every_call():
    """The same handler for the same signal: one change, once."""
    signal.signal(signal.SIGUSR2, _handler)


def test_clean_warnings_filter_in_the_test():
    """pyleak-ci, like pytest, restores the filters around every call."""
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", message="plk-acc-%d" % id(object()))


def test_clean_chdir_and_back():
    """Into another folder for the call, and back."""
    here = os.getcwd()
    os.chdir(os.path.dirname(here) or "/")
    try:
        assert os.getcwd() != here or here == "/"
    finally:
        os.chdir(here)
