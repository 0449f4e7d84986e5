"""Labelled leaks that look like the clean cases of newer CPythons.

Next to tests/accuracy/clean/test_versions_clean.py: interned strings
that are kept (a real leak on every version, whatever interning costs),
and asyncio tasks kept after their loop is gone.
"""
import asyncio
import itertools
import sys

_fresh = itertools.count()
_KEPT_NAMES = []
_KEPT_TASKS = []


def test_leak_interned_strings_kept():
    """metric: objects

    A fresh string interned and kept, in a list of its own, by a module
    list per call: the lists grow whatever the interpreter does with
    interned strings. (On 3.12 every interned string is immortal and, as
    in CPython's refleak hunter, subtracted from the block count; that
    correction must not hide what holds them.)"""
    _KEPT_NAMES.append([sys.intern("kept-%d" % next(_fresh))])


async def _noop():
    await asyncio.sleep(0)


def test_leak_asyncio_tasks_kept():
    """metric: objects, blocks

    A task created and finished per call, appended to a module list: each
    finished task (with its coroutine's result and callbacks) outlives
    its event loop."""
    async def main():
        task = asyncio.ensure_future(_noop())
        await task
        _KEPT_TASKS.append(task)

    asyncio.run(main())


_FROZEN = []


def test_leak_kept_then_frozen():
    """metric: objects

    A list appended to a module list per call, then the whole heap frozen
    with gc.freeze(): the leaked lists sit in the permanent generation,
    where they must still be counted."""
    import gc

    _FROZEN.append([next(_fresh)])
    gc.freeze()
