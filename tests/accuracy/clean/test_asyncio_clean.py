"""Labelled clean asyncio tests: each runs coroutines, tasks or loops and
leaves none of them behind.

The accuracy suite (tests/e2e/test_accuracy.py) runs pyleak-ci on this
file and checks that every ``test_clean_*`` passes. Standard library
only; every call is quick.
"""
import asyncio
import unittest


async def _wait_forever():
    await asyncio.sleep(3600)


async def _value(n):
    await asyncio.sleep(0)
    return n


def test_clean_asyncio_run_per_call():
    """asyncio.run makes a loop and closes it."""
    assert asyncio.run(_value(3)) == 3


async def _cancel_and_await():
    t = asyncio.ensure_future(_wait_forever())
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        pass


def test_clean_task_cancelled_and_awaited():
    """A task cancelled and awaited is done and dropped."""
    asyncio.run(_cancel_and_await())


def test_clean_loop_created_and_closed():
    """A loop made and closed per call."""
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(_value(1)) == 1
    finally:
        loop.close()


async def _gather():
    tasks = [asyncio.ensure_future(_value(i)) for i in range(5)]
    return await asyncio.gather(*tasks)


def test_clean_gather_of_finished_tasks():
    """Tasks gathered to completion."""
    assert asyncio.run(_gather()) == [0, 1, 2, 3, 4]


class AsyncCase(unittest.IsolatedAsyncioTestCase):
    """IsolatedAsyncioTestCase runs each test on a loop of its own."""

    async def test_clean_isolated_async_case(self):
        """A coroutine test, awaited to the end."""
        self.assertEqual(await _value(2), 2)
