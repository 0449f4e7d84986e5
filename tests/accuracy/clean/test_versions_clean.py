"""Labelled clean tests for what newer CPythons do differently.

Interned strings became immortal in 3.12 (and partly mortal again in
3.13), the specialising interpreter (3.11+) keeps caches in code and type
objects, and asyncio gained eager tasks and a C task implementation that
allocates differently (3.12+). None of these leaks on any version; each
docstring says why. They run on every interpreter, so the same verdict
is checked everywhere.
"""
import asyncio
import itertools
import sys

_fresh = itertools.count()


def test_clean_intern_fresh_strings_dropped():
    """sys.intern of a string never seen before, dropped at once: on
    3.9-3.11 and 3.13 the interned copy dies with the last reference; on
    3.12 it is immortal and stays, which CPython's own refleak hunter
    subtracts (sys.getunicodeinternedsize()), and so does pyleak-ci."""
    s = sys.intern("fresh-%d" % next(_fresh))
    assert s.startswith("fresh-")


def test_clean_intern_same_strings():
    """The same ten strings interned on every call: the interned table
    holds them after the first call and never grows again."""
    for i in range(10):
        assert sys.intern("same-%d" % i) == "same-%d" % i


def test_clean_attribute_names_from_data():
    """setattr/getattr with names made at run time, on an object made per
    call: attribute names are interned by the interpreter itself (immortal
    on 3.12), and the object with its dict dies each call."""
    class Box:
        pass

    b = Box()
    for i in range(5):
        setattr(b, "field_%d" % (next(_fresh) % 50), i)
    assert len(vars(b)) >= 1


class _A:
    def value(self):
        return 1


class _B:
    def value(self):
        return 2


class _C(_A):
    pass


def _sum_values(objs):
    total = 0
    for o in objs:
        total += o.value()
    return total


def test_clean_specialising_interpreter():
    """A loop that the specialising interpreter (3.11+) specialises, then
    de-optimises when the receiver's type changes: the inline caches live
    inside the code object and type versions are numbers, so nothing
    grows from call to call."""
    objs = [_A(), _B(), _C()] * 20
    assert _sum_values(objs) == 80
    assert _sum_values([_A()] * 50) == 50


def test_clean_new_class_per_call_specialised():
    """A class made per call whose method is called often enough to be
    specialised: the class, its type version and the specialised code's
    reference to it all go when the class goes."""
    class K:
        def f(self):
            return 3

    k = K()
    assert sum(k.f() for _ in range(30)) == 90


async def _child(n):
    await asyncio.sleep(0)
    return n


async def _gather_eager():
    loop = asyncio.get_running_loop()
    factory = getattr(asyncio, "eager_task_factory", None)  # 3.12+
    if factory is not None:
        loop.set_task_factory(factory)
    return sum(await asyncio.gather(*(_child(i) for i in range(5))))


def test_clean_asyncio_tasks_gathered():
    """asyncio.run with tasks gathered (eagerly started on 3.12+): the
    loop, its tasks and their futures are all finished and closed when
    asyncio.run returns."""
    assert asyncio.run(_gather_eager()) == 10


def test_clean_asyncio_task_group_or_wait():
    """Tasks awaited through a TaskGroup (3.11+) or asyncio.wait: every
    task is done and dropped before the loop closes."""
    async def main():
        if hasattr(asyncio, "TaskGroup"):
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(_child(i)) for i in range(4)]
        else:
            tasks = [asyncio.ensure_future(_child(i)) for i in range(4)]
            await asyncio.wait(tasks)
        return sum(t.result() for t in tasks)

    assert asyncio.run(main()) == 6


def test_clean_gc_freeze_per_call():
    """gc.freeze() on every call: it moves every tracked object into the
    permanent generation, which the public object visitor of 3.12.1 and
    3.13.0 does not walk; pyleak-ci adds gc.get_freeze_count() there, so
    moving objects is not mistaken for freeing (or making) them."""
    import gc

    junk = [[i] for i in range(20)]
    gc.freeze()
    assert gc.get_freeze_count() > 0
    del junk
