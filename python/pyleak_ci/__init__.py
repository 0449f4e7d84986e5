"""pyleak_ci: per-test control for tests run under pyleak-ci.

pyleak-ci provides this module to the tests it runs (``import
pyleak_ci``), and ``pip install`` of pyleak-ci installs the same module,
so the tests also import under plain pytest or unittest, where the
decorators change nothing.  The decorators only record what they ask
for in a ``__pyleak__`` dictionary on the function or class; pyleak-ci
reads it when it collects the tests:

    @pyleak_ci.skip(reason="talks to a live server")
    @pyleak_ci.allow(metric="heap", per_call=64, reason="arena of libfoo")
    @pyleak_ci.rounds(30)

A class decorated this way passes the setting to all its test methods; a
method's own setting wins over its class's.  Skipping or allowing a leak
always needs a reason, so that the report says why.

The same settings as a pytest marker:

    @pytest.mark.pyleak(skip=True, reason="...")
    @pytest.mark.pyleak(allow="heap", per_call=64, reason="...")
    @pytest.mark.pyleak(rounds=30)
"""

__all__ = ["skip", "allow", "rounds", "METRICS", "control_from_mark"]

__version__ = "0.1.0"

# The metrics pyleak-ci measures; "allow" names one (or several) of them.
METRICS = ("refs", "blocks", "objects", "heap", "rss", "fds", "threads")

# Fewer measured rounds than this cannot show a trend.
ROUNDS_MIN = 3
ROUNDS_MAX = 100000


def _fail(what, problem, example):
    raise ValueError("%s: %s; write it as %s" % (what, problem, example))


def _check_reason(what, reason, example):
    if callable(reason):
        _fail(what, "used without arguments", example)
    if not isinstance(reason, str) or not reason.strip():
        _fail(what, "needs a reason (a non-empty string)", example)
    return reason.strip()


def _check_metrics(what, metric, example):
    if isinstance(metric, str):
        names = [metric]
    elif isinstance(metric, (list, tuple)) and metric:
        names = list(metric)
    else:
        _fail(what, "needs metric= naming one of %s" % ", ".join(METRICS),
              example)
    for name in names:
        if name not in METRICS:
            _fail(what, "unknown metric %r (known: %s)"
                  % (name, ", ".join(METRICS)), example)
    return names


def _check_per_call(what, per_call, example):
    if per_call is None:
        return None
    if isinstance(per_call, bool) or not isinstance(per_call, (int, float)):
        _fail(what, "per_call must be a number or None, not %r"
              % (per_call,), example)
    if not per_call >= 0:  # also catches NaN
        _fail(what, "per_call must be zero or more, not %r" % (per_call,),
              example)
    return float(per_call)


def _check_rounds(what, n, example):
    if isinstance(n, bool) or not isinstance(n, int):
        _fail(what, "rounds must be a whole number, not %r" % (n,), example)
    if not ROUNDS_MIN <= n <= ROUNDS_MAX:
        _fail(what, "rounds must be between %d and %d, not %d"
              % (ROUNDS_MIN, ROUNDS_MAX, n), example)
    return n


def merge(outer, inner):
    """The control of a test whose class (or module) says outer and which
    itself says inner: inner's skip and rounds win, allowances add up
    with inner's first. Either may be None."""
    if not outer:
        return dict(inner) if inner else None
    if not inner:
        return dict(outer)
    out = dict(outer)
    for key in ("skip", "rounds"):
        if key in inner:
            out[key] = inner[key]
    if "allow" in inner or "allow" in outer:
        out["allow"] = list(inner.get("allow", ())) + \
            list(outer.get("allow", ()))
    return out


def _apply(obj, what, control):
    if not callable(obj):
        raise TypeError("%s decorates a test function or class, not %r"
                        % (what, obj))
    if isinstance(obj, type):
        # Read the class's own setting, not an inherited one: changing an
        # inherited dictionary would change the base class too.
        have = obj.__dict__.get("__pyleak__")
    else:
        have = getattr(obj, "__pyleak__", None)
    # Decorators apply bottom-up: the one written nearer the function
    # is already in `have` and keeps precedence for skip and rounds.
    obj.__pyleak__ = merge(control, have)
    return obj


def skip(reason=None):
    """Do not check this test for leaks."""
    example = '@pyleak_ci.skip(reason="why this test is not checked")'
    reason = _check_reason("@pyleak_ci.skip", reason, example)
    return lambda obj: _apply(obj, "@pyleak_ci.skip", {"skip": reason})


def allow(metric=None, per_call=None, reason=None):
    """Accept growth of metric (a name or a list of names) up to per_call
    per call, or any growth of it when per_call is None."""
    example = ('@pyleak_ci.allow(metric="heap", per_call=64, '
               'reason="why this growth is fine")')
    if callable(metric):
        _fail("@pyleak_ci.allow", "used without arguments", example)
    names = _check_metrics("@pyleak_ci.allow", metric, example)
    per_call = _check_per_call("@pyleak_ci.allow", per_call, example)
    reason = _check_reason("@pyleak_ci.allow", reason, example)
    entries = [(name, per_call, reason) for name in names]
    return lambda obj: _apply(obj, "@pyleak_ci.allow", {"allow": entries})


def rounds(n=None):
    """Measure this test over n rounds before its first verdict."""
    example = "@pyleak_ci.rounds(30)"
    if callable(n):
        _fail("@pyleak_ci.rounds", "used without arguments", example)
    n = _check_rounds("@pyleak_ci.rounds", n, example)
    return lambda obj: _apply(obj, "@pyleak_ci.rounds", {"rounds": n})


_MARK_KEYS = ("skip", "allow", "per_call", "rounds", "reason")


def control_from_mark(args, kwargs):
    """The control a ``pytest.mark.pyleak(...)`` marker asks for.

    skip=True (or a reason string), allow=METRIC(S) with optional
    per_call, rounds=N; reason= is the reason for skip and allow.
    Raises ValueError with a clear message when the marker is wrong."""
    what = "@pytest.mark.pyleak"
    example = ('@pytest.mark.pyleak(allow="heap", per_call=64, '
               'reason="why")')
    if args:
        _fail(what, "takes keyword arguments only (%s)"
              % ", ".join(_MARK_KEYS), example)
    unknown = sorted(set(kwargs) - set(_MARK_KEYS))
    if unknown:
        _fail(what, "unknown argument %s (known: %s)"
              % (", ".join(unknown), ", ".join(_MARK_KEYS)), example)
    if not any(k in kwargs for k in ("skip", "allow", "rounds")):
        _fail(what, "needs skip=, allow= or rounds=", example)
    out = {}
    skip_ = kwargs.get("skip", False)
    if isinstance(skip_, str):
        out["skip"] = _check_reason(what, skip_, example)
    elif skip_:
        out["skip"] = _check_reason(what, kwargs.get("reason"),
                                    '@pytest.mark.pyleak(skip=True, '
                                    'reason="why")')
    if "allow" in kwargs:
        names = _check_metrics(what, kwargs["allow"], example)
        per_call = _check_per_call(what, kwargs.get("per_call"), example)
        reason = _check_reason(what, kwargs.get("reason"), example)
        out["allow"] = [(name, per_call, reason) for name in names]
    elif "per_call" in kwargs:
        _fail(what, "per_call= needs allow=METRIC", example)
    if "rounds" in kwargs:
        out["rounds"] = _check_rounds(what, kwargs["rounds"],
                                      "@pytest.mark.pyleak(rounds=30)")
    return out or None
