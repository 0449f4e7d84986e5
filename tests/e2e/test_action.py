"""The GitHub Action (ci/action.yml) and the CI examples: the YAML parses
into what GitHub and GitLab expect, and the action's own shell steps
build pyleak-ci and run it here the way a runner would."""
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import FIXTURES, PYTHON, REPO, validate_junit

yaml = pytest.importorskip("yaml", reason="python3-yaml (ci/deps.sh)")

ACTION = REPO / "ci" / "action.yml"
WORKFLOW = REPO / "ci" / "examples" / "github-workflow.yml"
GITLAB = REPO / "ci" / "examples" / "gitlab-ci.yml"
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def test_action_yaml():
    a = load(ACTION)
    assert a["runs"]["using"] == "composite"
    assert {"paths", "junit-xml", "args", "python"} <= set(a["inputs"])
    for name, spec in a["inputs"].items():
        assert spec.get("description"), name
    step_ids = {s["id"] for s in a["runs"]["steps"]}
    # Every output comes from a step that writes it to $GITHUB_OUTPUT.
    assert {"leaks", "report"} <= set(a["outputs"])
    for name, spec in a["outputs"].items():
        m = re.fullmatch(r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}",
                         spec["value"])
        assert m and m.group(1) in step_ids, spec
        step = next(s for s in a["runs"]["steps"] if s["id"] == m.group(1))
        assert "%s=" % m.group(2) in step["run"]
    for step in a["runs"]["steps"]:
        # Composite run steps must name their shell; inputs reach the
        # scripts through env only, never pasted into the script text.
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], step["id"]


def test_github_workflow_example():
    w = load(WORKFLOW)
    # YAML 1.1 reads the key "on" as true.
    assert "pull_request" in (w.get("on") or w.get(True))
    steps = w["jobs"]["pyleak-ci"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    # A matrix of the CPython versions CI matrices hold, each set up by
    # setup-python and gated with a pyleak-ci built against it.
    versions = w["jobs"]["pyleak-ci"]["strategy"]["matrix"]["python-version"]
    assert {"3.10", "3.11", "3.12", "3.13", "3.14"} <= set(versions)
    setup = next(s for s in steps
                 if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    gate = next(s for s in steps if s.get("uses", "").split("@")[0]
                .endswith("/ci"))
    assert set(gate["with"]) <= set(load(ACTION)["inputs"])
    report = gate["with"]["junit-xml"]
    junit = next(s for s in steps
                 if "junit-report" in s.get("uses", ""))
    assert junit["if"] == "always()"
    assert junit["with"]["report_paths"] == report
    assert w["permissions"]["checks"] == "write"


def test_gitlab_example():
    g = load(GITLAB)
    job = g["leaks"]
    script = " ".join(job["script"])
    assert "pyleak-ci run" in script and "--junit-xml" in script
    report = re.search(r"--junit-xml \"?([^\" ]+)", script).group(1)
    pattern = job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always"
    # The report the script writes is the one GitLab collects.
    glob = re.escape(pattern).replace(r"\*", ".*")
    assert re.fullmatch(glob, report.replace("$CI_NODE_INDEX", "1"))
    assert job["parallel"] >= 2


class Runner:
    """Enough of a GitHub runner to execute a composite action's steps:
    ${{ }} expressions in env, $GITHUB_OUTPUT per step."""

    def __init__(self, tmp, inputs):
        self.tmp = tmp
        self.inputs = inputs
        self.outputs = {}

    def value(self, expr):
        parts = expr.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if expr == "github.action_path":
            return str(REPO / "ci")
        if expr == "runner.temp":
            return str(self.tmp)
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError("unknown expression " + expr)

    def run_step(self, step, cwd):
        env = dict(os.environ)
        for key in ("GITHUB_ACTIONS", "VIRTUAL_ENV", "GITHUB_STEP_SUMMARY"):
            env.pop(key, None)
        for key, val in step.get("env", {}).items():
            env[key] = EXPR.sub(lambda m: self.value(m.group(1)), str(val))
        out_file = self.tmp / ("output-" + step["id"])
        out_file.write_text("")
        env["GITHUB_OUTPUT"] = str(out_file)
        env["GITHUB_ACTIONS"] = "true"
        env["GITHUB_STEP_SUMMARY"] = str(self.tmp / "summary.md")
        env["GITHUB_WORKSPACE"] = str(cwd)
        env["GITHUB_SERVER_URL"] = "https://github.com"
        env["GITHUB_REPOSITORY"] = "owner/project"
        env["GITHUB_RUN_ID"] = "7"
        env["NO_COLOR"] = "1"
        script = self.tmp / ("script-" + step["id"] + ".sh")
        script.write_text(step["run"])
        # How the runner starts a `shell: bash` step.
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo",
                               "pipefail", str(script)], cwd=cwd,
                              env=env, capture_output=True, text=True,
                              timeout=900)
        self.outputs[step["id"]] = dict(
            line.split("=", 1) for line in out_file.read_text().splitlines())
        return proc


def test_action_steps_build_and_run(tmp_path):
    action = load(ACTION)
    defaults = {k: str(v.get("default", ""))
                for k, v in action["inputs"].items()}
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_basic.py").write_text(
        (FIXTURES / "basic" / "test_basic.py").read_text())
    runner_tmp = tmp_path / "runner-temp"
    runner_tmp.mkdir()
    inputs = dict(defaults, paths="tests/\n", python=PYTHON,
                  args="--rounds 4  --warmup 1", html="leaks.html",
                  **{"install-deps": "false"})
    runner = Runner(runner_tmp, inputs)
    steps = action["runs"]["steps"]
    build = runner.run_step(steps[0], project)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "pyleak-ci" in build.stdout
    binary = Path(runner.outputs["build"]["binary"])
    assert binary.is_file() and os.access(binary, os.X_OK)

    run = runner.run_step(steps[1], project)
    # The fixture leaks and fails: the step fails, with the outputs set.
    assert run.returncode == 1, run.stdout + run.stderr
    out = runner.outputs["run"]
    assert out["leaks"] == "1"
    assert out["report"] == "pyleak-ci.xml"
    report = project / "pyleak-ci.xml"
    validate_junit(report)
    names = {tc.get("name") for tc in ET.parse(report).iter("testcase")}
    assert "test_leaks_list" in names
    assert Path(out["json"]).is_file()
    # At the leak's location (the line that allocates), not the def.
    assert "::error file=tests/test_basic.py,line=8," in run.stdout
    summary = (runner_tmp / "summary.md").read_text()
    assert "## pyleak-ci: leaks found" in summary
    # The HTML report is written, and the summary points to it.
    assert out["html"] == "leaks.html"
    assert (project / "leaks.html").read_text().startswith("<!DOCTYPE")
    assert "growth: leaks.html" in summary
    assert "](https://github.com/owner/project/actions/runs/7#artifacts)" \
        in summary

    # A clean selection passes, with zero leaks.
    runner.inputs["paths"] = "tests/test_basic.py::test_clean_temporaries"
    run = runner.run_step(steps[1], project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert runner.outputs["run"]["leaks"] == "0"
