"""pyleak-ci's PEP 517 build backend: `pip install .` without an index.

pyleak-ci is a C program that embeds the interpreter it runs the tests
in, so a wheel of it is a build of the runner against the very Python
doing the install.  This backend runs CMake on the source tree against
that interpreter (the base interpreter of a virtual environment, which
is the one with libpython), builds the `pyleak-ci` program and writes a
wheel holding it as a script (pip puts it in the environment's bin/)
and the `pyleak_ci` control module the tests import (with a pytest
plugin that registers the `pyleak` marker for plain pytest runs).  It
needs only the standard library, CMake and a C compiler, so
`pip install --no-index .` works: there are no build requirements to
fetch.

Settings (pip's --config-settings, or the environment):
  cmake-args / PYLEAK_CMAKE_ARGS   extra arguments for CMake's configure
  build-dir / PYLEAK_BUILD_DIR     keep the CMake build there (default: a
                                   temporary directory, removed after)
"""

import base64
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

NAME = "pyleak-ci"
DIST = "pyleak_ci"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SUMMARY = "A memory-leak gate for Python test suites in CI"


class BuildError(Exception):
    """A build that cannot go on; the message says what to do."""


def _version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(\s*pyleak-ci\s+VERSION\s+([0-9.]+)",
                      f.read())
    if not m:
        raise BuildError("cannot read the version from CMakeLists.txt")
    return m.group(1)


def _tag():
    """The wheel tag of this interpreter: the runner links its libpython,
    so the wheel fits only this version, ABI and platform."""
    impl = "cp" if sys.implementation.name == "cpython" else \
        sys.implementation.name
    ver = "%s%d%d" % (impl, sys.version_info[0], sys.version_info[1])
    abi = ver + (getattr(sys, "abiflags", "") or "")
    plat = re.sub(r"[^A-Za-z0-9]", "_", sysconfig.get_platform())
    return "%s-%s-%s" % (ver, abi, plat)


def _base_python():
    """The interpreter to build against: in a virtual environment, the
    one it was made from (its libpython and headers), resolved through
    symlinks so CMake finds its installation."""
    exe = getattr(sys, "_base_executable", None) or sys.executable
    if not exe or not os.path.exists(exe):
        exe = sys.executable
    return os.path.realpath(exe)


def _setting(config_settings, key, env):
    value = (config_settings or {}).get(key)
    if value is None:
        value = os.environ.get(env)
    return value


def _metadata():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return ("Metadata-Version: 2.1\n"
            "Name: %s\n"
            "Version: %s\n"
            "Summary: %s\n"
            "License: see the project's repository\n"
            "Requires-Python: >=3.9\n"
            "Description-Content-Type: text/markdown\n"
            "\n%s" % (NAME, _version(), SUMMARY, readme))


def _wheel_file():
    return ("Wheel-Version: 1.0\n"
            "Generator: pyleak_ci_build %s\n"
            "Root-Is-Purelib: false\n"
            "Tag: %s\n" % (_version(), _tag()))


def _dist_info():
    return "%s-%s.dist-info" % (DIST, _version())


def _run(argv, what):
    print("pyleak-ci build: %s" % " ".join(shlex.quote(a) for a in argv),
          flush=True)
    proc = subprocess.run(argv)
    if proc.returncode != 0:
        raise BuildError("%s failed (exit %d); see the output above. "
                         "Building pyleak-ci needs CMake, a C compiler, "
                         "the Python development files of %s, libxml2, "
                         "jansson and pkg-config (ci/deps.sh installs "
                         "them on Debian)" % (what, proc.returncode,
                                      _base_python()))


def _build_runner(build_dir, config_settings):
    cmake = shutil.which("cmake")
    if cmake is None:
        raise BuildError("cmake is not on PATH; install CMake 3.18 or "
                         "newer (Debian: apt-get install cmake)")
    argv = [cmake, "-S", ROOT, "-B", build_dir,
            "-DPython_EXECUTABLE=" + _base_python(),
            "-DPYLEAK_TESTS=OFF", "-DCMAKE_BUILD_TYPE=Release"]
    extra = _setting(config_settings, "cmake-args", "PYLEAK_CMAKE_ARGS")
    if extra:
        argv += shlex.split(extra)
    _run(argv, "CMake configure")
    jobs = str(max(1, min(os.cpu_count() or 1, 8)))
    _run([cmake, "--build", build_dir, "--target", "pyleak-ci",
          "-j", jobs], "CMake build")
    exe = os.path.join(build_dir, "pyleak-ci")
    if not os.path.isfile(exe):
        raise BuildError("the build did not produce %s" % exe)
    return exe


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(
        hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def _write_wheel(wheel_directory, exe):
    version = _version()
    name = "%s-%s-%s.whl" % (DIST, version, _tag())
    path = os.path.join(wheel_directory, name)
    dist_info = _dist_info()
    files = []
    pkg = os.path.join(ROOT, "python", "pyleak_ci")
    for fname in sorted(os.listdir(pkg)):
        if fname.endswith(".py"):
            with open(os.path.join(pkg, fname), "rb") as f:
                files.append(("pyleak_ci/" + fname, f.read(), 0o644))
    with open(os.path.join(ROOT, "python", "_pyleak_ci_pytest.py"),
              "rb") as f:
        files.append(("_pyleak_ci_pytest.py", f.read(), 0o644))
    with open(exe, "rb") as f:
        files.append(("%s-%s.data/scripts/pyleak-ci" % (DIST, version),
                      f.read(), 0o755))
    files.append((dist_info + "/METADATA", _metadata().encode(), 0o644))
    # The pytest plugin that registers the pyleak marker for plain runs.
    files.append((dist_info + "/entry_points.txt",
                  b"[pytest11]\npyleak_ci = _pyleak_ci_pytest\n", 0o644))
    files.append((dist_info + "/WHEEL", _wheel_file().encode(), 0o644))
    records = [_record_line(a, d) for a, d, _ in files]
    records.append(dist_info + "/RECORD,,")
    files.append((dist_info + "/RECORD",
                  ("\n".join(records) + "\n").encode(), 0o644))
    tmp = path + ".part"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data, mode in files:
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    os.replace(tmp, path)
    return name


# -- PEP 517 hooks ---------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory,
                                     config_settings=None):
    out = os.path.join(metadata_directory, _dist_info())
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(out, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_wheel_file())
    return _dist_info()


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    keep = _setting(config_settings, "build-dir", "PYLEAK_BUILD_DIR")
    build_dir = os.path.abspath(keep) if keep else \
        tempfile.mkdtemp(prefix="pyleak-ci-build-")
    try:
        exe = _build_runner(build_dir, config_settings)
        return _write_wheel(wheel_directory, exe)
    finally:
        if not keep:
            shutil.rmtree(build_dir, ignore_errors=True)
