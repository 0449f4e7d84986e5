"""Clean tests that run child processes: none leaves one behind.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that every ``test_clean_*`` passes. Some are traps for
the procs metric: a child that has exited but was never waited for
(subprocess reaps it later, at its next Popen or when pyleak-ci asks it
to), and one that has not even exited when the round ends. The docstring
of each says why it is clean.

Standard library only; every child is quick.
"""
import multiprocessing
import os
import signal
import subprocess


def test_clean_subprocess_run():
    """subprocess.run waits for the child before it returns."""
    assert subprocess.run(["true"]).returncode == 0


def test_clean_popen_waited():
    """A Popen whose child is waited for."""
    proc = subprocess.Popen(["true"])
    assert proc.wait() == 0


def test_clean_popen_exited_and_dropped():
    """A Popen of a quick child dropped without a wait: the zombie is
    reaped by subprocess's deferred cleanup, which pyleak-ci runs before
    it counts children."""
    subprocess.Popen(["true"])


def test_clean_popen_still_running_when_dropped():
    """A Popen of a 50 ms sleep dropped without a wait: its child is
    often still running when the round ends, but each round's is reaped
    by a later cleanup, so the count stays flat."""
    subprocess.Popen(["sleep", "0.05"])


def test_clean_popen_killed_and_waited():
    """A long sleeper started, killed and waited for."""
    proc = subprocess.Popen(["sleep", "60"])
    proc.kill()
    assert proc.wait() == -signal.SIGKILL


def test_clean_fork_waited():
    """os.fork with a child that leaves at once, waited for with
    os.waitpid."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    assert os.waitpid(pid, 0) == (pid, 0)


def _nothing():
    return None


def test_clean_multiprocessing_joined():
    """A multiprocessing.Process (fork start method) started and
    joined."""
    proc = multiprocessing.get_context("fork").Process(target=_nothing)
    proc.start()
    proc.join()
    assert proc.exitcode == 0
