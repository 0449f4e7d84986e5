"""Labelled leaks of child processes: each call leaves one running.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that each ``test_leak_*`` is reported as a leak on the
metric its docstring names. The children sleep for a minute and are
never waited for; pyleak-ci kills the ones still running when a worker
ends, and the diagnosis those its re-run left, so none outlives the run.

Standard library only; every call returns at once.
"""
import multiprocessing
import os
import subprocess
import time

# coreutils' sleep: far cheaper to start than another interpreter.
_SLEEPER = ["sleep", "60"]

_RUNNING = []


def test_leak_popen_sleeper_kept():
    """metric: procs

    A Popen of a long sleeper per call, kept in a module-level list and
    never waited for: a pool of workers that only grows.
    """
    _RUNNING.append(subprocess.Popen(_SLEEPER))


def test_leak_popen_sleeper_dropped():
    """metric: procs

    A Popen of a long sleeper per call, dropped at once: nothing refers
    to it, yet the child keeps running (subprocess keeps the Popen of a
    running child in its own list, to reap it later).
    """
    subprocess.Popen(_SLEEPER)


def test_leak_fork_child_sleeping():
    """metric: procs

    os.fork() per call; the child sleeps and leaves with os._exit, and
    the parent never waits for it.
    """
    pid = os.fork()
    if pid == 0:
        try:
            time.sleep(60)
        finally:
            os._exit(0)
    assert pid > 0


def test_leak_multiprocessing_never_joined():
    """metric: procs

    A daemon multiprocessing.Process (fork start method) per call whose
    target sleeps for a minute, started and never joined.
    """
    ctx = multiprocessing.get_context("fork")
    ctx.Process(target=time.sleep, args=(60,), daemon=True).start()
