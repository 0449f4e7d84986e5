"""pytest plugin installed with pyleak-ci (entry point pytest11).

It only registers the `pyleak` marker, so that a plain `pytest` run of
tests marked for pyleak-ci does not warn about an unknown mark (or fail
under --strict-markers). Under pyleak-ci the marker is read; here it
changes nothing. It is a top-level module, not part of the pyleak_ci
package, because pyleak-ci puts its own copy of pyleak_ci in place of
the installed one while it runs.
"""

MARKER = ("pyleak(skip=, allow=, per_call=, rounds=, reason=): how "
          "pyleak-ci checks this test for leaks")


def pytest_configure(config):
    config.addinivalue_line("markers", MARKER)
