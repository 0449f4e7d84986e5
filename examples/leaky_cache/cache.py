"""A tiny memoising helper with one unbounded cache (the leak)."""

import functools
import itertools

_SEEN = {}
_ids = itertools.count()


def remember(value):
    """Record value under a fresh key; nothing ever removes it."""
    key = "req_%d" % next(_ids)
    _SEEN[key] = [value]
    return key


@functools.lru_cache(maxsize=32)
def lookup(n):
    """Bounded cache: fills to 32 entries, then stays that size."""
    return str(n) * 3


def normalise(text):
    """No state at all."""
    return " ".join(text.split()).lower()
