"""Labelled asyncio leaks: tasks, futures and event loops that each call
leaves behind.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file; see tests/accuracy/leaks/test_leaks.py for the labels. Standard
library only; every call is quick.
"""
import asyncio
import unittest

# A long-lived loop, as an application or a session fixture keeps one.
_LOOP = asyncio.new_event_loop()
_KEPT = set()
_LOOPS = []


async def _wait_forever():
    await asyncio.sleep(3600)


def test_leak_task_on_long_lived_loop_never_awaited():
    """metric: objects, blocks

    A task per call on a loop that never runs it to completion."""
    _KEPT.add(_LOOP.create_task(_wait_forever()))


def test_leak_future_left_pending():
    """metric: objects, blocks

    A future per call nobody sets a result on."""
    _KEPT.add(_LOOP.create_future())


def test_leak_event_loop_per_call_never_closed():
    """metric: objects, fds

    A new loop per call, kept and never closed (its selector and
    self-pipe stay open)."""
    _LOOPS.append(asyncio.new_event_loop())


_BACKGROUND = set()


async def _spawn():
    # The common "fire and forget" pattern: the set keeps the task alive,
    # but the task never finishes, so nothing ever discards it.
    t = asyncio.ensure_future(_wait_forever())
    _BACKGROUND.add(t)
    t.add_done_callback(_BACKGROUND.discard)


def test_leak_background_task_kept_in_set():
    """metric: objects, blocks

    A background task per call in a set, on the long-lived loop."""
    _LOOP.run_until_complete(_spawn())


_CURRENT = []


class AsyncCaseLeaks(unittest.IsolatedAsyncioTestCase):
    """IsolatedAsyncioTestCase gives each test a loop of its own and
    closes it; what a test keeps past that still accumulates."""

    async def test_leak_each_calls_task_kept(self):
        """metric: objects, blocks

        The running task of every call, kept in a module list after its
        loop is closed."""
        _CURRENT.append(asyncio.current_task())
        await asyncio.sleep(0)

    async def test_clean_task_awaited_inside_the_case(self):
        """A task created and awaited within the test."""
        self.assertEqual(await asyncio.ensure_future(_value(3)), 3)


async def _value(x):
    await asyncio.sleep(0)
    return x
