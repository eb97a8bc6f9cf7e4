"""`lesson-lsp compare -- COMMAND` and the server's `lesson-lsp.compare`: real workloads in
throw-away projects (git ones with a test identity, and ones without git), run by the real
agent in the project's interpreter; and the pieces (output masking, the ratio's interval, the
record of replaced bytes) on their own."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from lesson_lsp.workload_compare import outputs, stats
from lesson_lsp.workspace import applied, traces
from lesson_lsp.workspace.config import load
from tests.conftest import EXAMPLES, PYTHON, team
from tests.procs import alive, running

WORK = '''"""Work."""


def total(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def label(items):
    return ",".join(sorted(items))
'''

FASTER = WORK.replace('''    s = 0
    for i in range(n):
        s += i * i
    return s''', '''    return sum(i * i for i in range(n))''')

WRONG = WORK.replace("    return s\n", "    return s + 1\n")

RUN = '''\
import time
from pkg.work import label, total

started = time.perf_counter()
print("total", total(20000))
print("label", label(["b", "a", "c"]))
print(f"took {time.perf_counter() - started:.6f} s, object at {object()!r}")
'''

GIT = ["git", "-c", "user.name=Lesson Test", "-c", "user.email=test@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def git(root: Path, *args: str) -> str:
    done = subprocess.run([*GIT, *args], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def git_project(tmp_path: Path) -> Path:
    """pkg/work.py and run.py, committed."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n", encoding="utf-8")
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "work.py").write_text(WORK, encoding="utf-8")
    (root / "run.py").write_text(RUN, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the workload")
    return root


def compare(root: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "compare", "--python", PYTHON, *args],
                          cwd=root, capture_output=True, text=True, timeout=timeout,
                          env=env or dict(os.environ))


# ------------------------------------------------------------------------ the pieces alone


def _output(text: str, code: int = 0) -> outputs.Output:
    return outputs.Output(text.encode(), b"", code)


def test_lines_that_vary_between_runs_of_the_same_code_are_masked_and_counted() -> None:
    before = [_output("result 42\ntook 0.31 s at 0x7f01\ndone\n"),
              _output("result 42\ntook 0.29 s at 0x7f99\ndone\n")]
    same = outputs.check(before, [_output("result 42\ntook 0.12 s at 0x7aaa\ndone\n")])
    assert same.identical and same.masked == {"stdout": 1, "stderr": 0}
    assert same.examples == ["stdout line 2: took ▒ s at ▒"]
    # The varying tokens are masked, not the line: a changed word there is a difference.
    moved = outputs.check(before, [_output("result 42\nslept 0.12 s at 0x7aaa\ndone\n")])
    assert not moved.identical
    changed = outputs.check(before, [_output("result 43\ntook 0.12 s at 0x7aaa\ndone\n")])
    assert not changed.identical and changed.runs_differing == 1
    first = changed.differences[0]
    assert (first.stream, first.line, first.before, first.after) == (
        "stdout", 1, "result 42", "result 43")
    code = outputs.check(before, [_output("result 42\ntook 0.1 s at 0x1\ndone\n", 1)])
    assert [d.stream for d in code.differences] == ["exit code"]
    # Where the number of lines varies between runs of the same code, it may vary.
    lines = [_output("a\nwarn x\nz\n"), _output("a\nz\n")]
    assert outputs.check(lines, [_output("a\nwarn y\nwarn z\nz\n")]).identical
    assert not outputs.check(lines, [_output("b\nz\n")]).identical


def test_the_ratio_of_medians_and_its_paired_bootstrap_interval() -> None:
    before, after = [2.0, 2.1, 1.9, 2.05, 2.2], [1.0, 1.05, 0.95, 1.1, 1.0]
    found = stats.ratio(before, after)
    assert found.estimate == pytest.approx(2.05 / 1.0)
    assert found.low <= found.estimate <= found.high and found.low > 1.5 and found.high < 2.6
    assert stats.ratio(before, after) == found  # seeded: the same runs, the same interval
    noise = stats.ratio([1.0, 1.1, 0.9, 1.05, 0.95], [1.02, 0.97, 1.08, 0.93, 1.0])
    assert noise.covers(1.0)
    assert stats.saving(2.0) == 0.5


def test_the_record_keeps_the_bytes_before_lesson_lsps_first_write(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    applied.remember(tmp_path, path, b"v1", b"v2")
    applied.remember(tmp_path, path, b"v2", b"v3")  # lesson-lsp's own write again: kept v1
    path.write_bytes(b"v3")
    [kept] = applied.recorded(tmp_path)
    assert kept.original == b"v1" and not kept.edited_since()
    path.write_bytes(b"v4 by hand")
    assert applied.recorded(tmp_path)[0].edited_since()
    applied.remember(tmp_path, path, b"v4 by hand", b"v5")  # someone else wrote: a new record
    assert applied.recorded(tmp_path)[0].original == b"v4 by hand"
    # A project without markers keeps a file's record under the file's folder: found from above.
    (tmp_path / "sub").mkdir()
    inner = tmp_path / "sub" / "n.py"
    inner.write_bytes(b"new")
    applied.remember(tmp_path / "sub", inner, b"old", b"new")
    assert {r.path for r in applied.recorded_under(tmp_path)} == {str(path), str(inner)}


# ------------------------------------------------------------------------ the CLI, for real


def test_a_wrong_edit_written_straight_into_the_file_is_reported_loudly(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    (root / "pkg" / "work.py").write_text(WRONG, encoding="utf-8")  # no harness involved
    done = compare(root, "--runs", "2", "--", "python", "run.py")
    assert done.returncode == 1, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("!! THE WORKLOAD'S OUTPUT CHANGED: 3 of 3"), done.stdout
    assert "stdout line 1" in done.stdout
    assert "before: 'total 2666466670000'" in done.stdout
    assert "after:  'total 2666466670001'" in done.stdout
    assert "Output: DIFFERENT" in done.stdout
    # The run left the user's tree as it was: the wrong edit, no __pycache__, no other file.
    assert (root / "pkg" / "work.py").read_text(encoding="utf-8") == WRONG
    assert git(root, "status", "--porcelain") == " M pkg/work.py\n"
    assert not list(root.rglob("__pycache__"))


def test_a_workload_that_prints_the_time_is_masked_and_json_says_it_all(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    (root / "pkg" / "work.py").write_text(FASTER, encoding="utf-8")
    done = compare(root, "--runs", "3", "--json", "--", "python", "run.py")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["command"] == ["python", "run.py"] and report["runs"] == 3
    assert report["warmup"] == 1 and report["python"] == PYTHON
    assert report["base"]["kind"] == "git" and report["base"]["ref"] == "HEAD"
    assert report["base"]["commit"] == git(root, "rev-parse", "HEAD").strip()
    assert report["method"] == "import hook" and report["changed"] == ["pkg/work.py"]
    for side in ("before", "after"):
        assert len(report[side]["wall_s"]) == 3 and len(report[side]["cpu_s"]) == 3
        assert report[side]["exit_codes"] == [0, 0, 0]
        assert report[side]["median_wall_s"] > 0 and report[side]["median_cpu_s"] > 0
    for kind in ("wall", "cpu"):
        ratio = report["ratio"][kind]
        assert ratio["low"] <= ratio["estimate"] <= ratio["high"]
        assert report["saving"][kind] == pytest.approx(1 - 1 / ratio["estimate"])
    assert "paired" in report["ratio"]["method"] and report["ratio"]["confidence"] == 0.95
    output = report["output"]
    assert output["identical"] and output["differences"] == []
    assert output["masked_lines"]["stdout"] == 1  # the "took" line, and only it
    assert output["masked_examples"] == ["stdout line 3: took ▒ s, object at <object object "
                                         "at ▒>"]
    assert output["exit_codes"] == {"before": 0, "after": 0}
    assert "compare: run 8/8: after 3/3" in done.stderr  # progress on stderr
    text = compare(root, "--runs", "1", "--", "python", "run.py")
    assert text.returncode == 0, text.stderr
    assert "Output: identical" in text.stdout and "took ▒ s" in text.stdout
    assert "import hook" in text.stdout and "git HEAD" in text.stdout


def test_before_is_head_with_modules_deleted_and_added_since(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    (root / "pkg" / "old.py").write_text("NAME = 'old'\n", encoding="utf-8")
    (root / "both.py").write_text(
        "for name in ('old', 'new'):\n    try:\n"
        "        module = __import__('pkg.' + name, fromlist=['NAME'])\n"
        "        print(name, module.NAME)\n    except ImportError:\n"
        "        print('no', name)\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "old")
    git(root, "rm", "-q", "pkg/old.py")
    (root / "pkg" / "new.py").write_text("NAME = 'new'\n", encoding="utf-8")
    git(root, "add", "pkg/new.py")
    done = compare(root, "--runs", "1", "--json", "--", "python", "both.py")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["changed"] == ["pkg/new.py", "pkg/old.py"]
    shown = {(d["before"], d["after"]) for d in report["output"]["differences"]}
    assert shown == {("old old", "no old"), ("no new", "new new")}
    base = compare(root, "--runs", "1", "--base", "HEAD~1", "--json", "--", "python", "both.py")
    assert json.loads(base.stdout)["base"]["ref"] == "HEAD~1"
    bad = compare(root, "--base", "no-such-ref", "--", "python", "both.py")
    assert bad.returncode == 2 and "no-such-ref: not a commit" in bad.stderr


def test_a_pytest_workload_whose_test_fails_after_a_wrong_edit(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    (root / "tests").mkdir()
    (root / "tests" / "test_work.py").write_text(
        "from pkg.work import total\n\n\ndef test_total():\n    assert total(4) == 14\n",
        encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "tests")
    (root / "pkg" / "work.py").write_text(WRONG, encoding="utf-8")
    done = compare(root, "--runs", "1", "--json", "--", "pytest", "-q", "-p", "no:cacheprovider",
                   "tests", env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    report = json.loads(done.stdout)
    assert done.returncode == 1, done.stderr
    assert report["output"]["exit_codes"] == {"before": 0, "after": 1}


def test_without_git_before_is_what_the_record_says_was_replaced(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'plain'\n", encoding="utf-8")
    module = root / "work.py"
    module.write_text("VERSION = 'v1'\n", encoding="utf-8")
    (root / "run.py").write_text("import work\nprint(work.VERSION)\n", encoding="utf-8")
    nothing = compare(root, "--runs", "1", "--json", "--", "python", "run.py")
    assert nothing.returncode == 0, nothing.stderr
    same = json.loads(nothing.stdout)
    assert same["base"]["kind"] == "same" and same["changed"] == []
    assert "A/A" in same["notes"][0]
    # lesson-lsp's --apply records what it replaces (here through the record's API).
    applied.remember(load(root).root, module, b"VERSION = 'v1'\n", b"VERSION = 'v2'\n")
    module.write_text("VERSION = 'v2'\n", encoding="utf-8")
    done = compare(root, "--runs", "1", "--json", "--", "python", "run.py")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["base"]["kind"] == "recorded" and report["changed"] == ["work.py"]
    first = report["output"]["differences"][0]
    assert (first["before"], first["after"]) == ("v1", "v2")
    assert module.read_text(encoding="utf-8") == "VERSION = 'v2'\n"


SLOW_RUN = "from slow import fib\n\nfor _ in range(3):\n    print(fib(27))\n"


@pytest.mark.slow
def test_without_git_a_real_apply_is_compared_on_its_replaced_bytes(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    root.mkdir()
    shutil.copy(EXAMPLES / "slow.py", root / "slow.py")
    (root / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"slow.py::fib" = "slow.py::inputs"\n' + team("memoize"), encoding="utf-8")
    (root / "run.py").write_text(SLOW_RUN, encoding="utf-8")
    original = (root / "slow.py").read_bytes()
    optimized = subprocess.run(
        [PYTHON, "-m", "lesson_lsp.cli", "optimize", "slow.py::fib", "--apply", "--python",
         PYTHON], cwd=root, capture_output=True, text=True, timeout=300)
    assert optimized.returncode == 0, optimized.stderr
    assert (root / "slow.py").read_bytes() != original
    done = compare(root, "--runs", "3", "--json", "--", "python", "run.py")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["base"]["kind"] == "recorded" and report["changed"] == ["slow.py"]
    assert report["output"]["identical"]
    assert report["ratio"]["cpu"]["estimate"] > 1.5  # naive fib(27) against a cached one
    [record] = applied.recorded(load(root).root)
    assert record.original == original


FOREVER = '''\
import os, subprocess, sys, time
marker = sys.argv[1]
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker])
with open(os.path.join(marker, "pids.partial"), "w") as handle:
    handle.write(f"{os.getpid()} {child.pid}")
os.replace(os.path.join(marker, "pids.partial"), os.path.join(marker, "pids"))
while True:
    time.sleep(0.05)
'''


def _started(marker: Path, deadline_s: float = 30) -> list[int]:
    deadline = time.monotonic() + deadline_s
    while not (marker / "pids").exists():
        assert time.monotonic() < deadline, "the workload did not start"
        time.sleep(0.05)
    return [int(p) for p in (marker / "pids").read_text().split()]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_compare_leaves_no_process_of_its_runs(tmp_path: Path,
                                                            how: signal.Signals) -> None:
    root = git_project(tmp_path)
    (root / "forever.py").write_text(FOREVER, encoding="utf-8")
    marker = Path(tempfile.mkdtemp(prefix="lesson-test-compare-"))
    try:
        process = subprocess.Popen(
            [PYTHON, "-m", "lesson_lsp.cli", "compare", "--python", PYTHON, "--", "python",
             "forever.py", str(marker)], cwd=root, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(marker)})
        pids = _started(marker)
        assert running(str(marker)), "the agent's command line names its job under TMPDIR"
        process.send_signal(how)
        _, err = process.communicate(timeout=20)
        assert process.returncode == 130, err
        assert "interrupted" in err
        assert not any(alive(pid) for pid in pids)
        assert running(str(marker)) == []
        assert [p.name for p in marker.iterdir()] == ["pids"]  # its temp folder is gone too
    finally:
        shutil.rmtree(marker, ignore_errors=True)


def test_a_run_past_the_time_limit_stops_the_comparison(tmp_path: Path) -> None:
    root = git_project(tmp_path)
    (root / "forever.py").write_text(FOREVER, encoding="utf-8")
    marker = Path(tempfile.mkdtemp(prefix="lesson-test-compare-"))
    try:
        done = compare(root, "--timeout", "1.5", "--", "python", "forever.py", str(marker),
                       env={**os.environ, "TMPDIR": str(marker)})
        assert done.returncode == 2 and "time limit (1.5 s)" in done.stderr
        assert running(str(marker)) == []
    finally:
        shutil.rmtree(marker, ignore_errors=True)


# ------------------------------------------------------------------ the server's command


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "lesson_lsp.cli", "serve", "--stdio"]))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    root = git_project(tmp_path)
    (root / "pyproject.toml").write_text(
        f"[project]\nname = 'proj'\n[tool.lesson-lsp]\ninterpreter = {PYTHON!r}\n",
        encoding="utf-8")
    git(root, "commit", "-qam", "the interpreter")
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(), workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(),
                                                                       name="t")]))
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def _trace(root: Path, *command: str) -> None:
    traces.save(traces.Trace(command=list(command), root=load(root).root, interpreter=PYTHON,
                             wall_s=0.2, exit_code=0, created=time.time()))


def _execute(client: LanguageClient, argument: dict) -> asyncio.Future:
    return asyncio.ensure_future(client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.compare", arguments=[argument])))


@pytest.mark.asyncio
async def test_the_server_compares_the_traced_workload_with_progress(
        client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    uri = (root / "pkg" / "work.py").as_uri()
    missing = await _execute(client, {"uri": uri})
    assert missing is None
    assert any("no workload was traced" in m.message for m in client.messages)
    _trace(root, "python", "run.py")
    (root / "pkg" / "work.py").write_text(FASTER, encoding="utf-8")
    result = await asyncio.wait_for(_execute(client, {"uri": uri, "runs": 2}), 120)
    assert result is not None and result["output"]["identical"] and result["runs"] == 2
    kinds = [getattr(v, "kind", None) for reports in client.progress_reports.values()
             for v in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    said = [m for m in client.messages if "before/after" in m.message]
    assert said[-1].type == lsp.MessageType.Info
    assert "Output identical" in said[-1].message and "ratio " in said[-1].message
    (root / "pkg" / "work.py").write_text(WRONG, encoding="utf-8")
    result = await asyncio.wait_for(_execute(client, {"uri": uri, "runs": 1}), 120)
    assert result is not None and not result["output"]["identical"]
    loud = client.messages[-1]
    assert loud.type == lsp.MessageType.Error
    assert loud.message.startswith("Lesson team: THE WORKLOAD'S OUTPUT CHANGED: stdout line 1")


@pytest.mark.asyncio
async def test_cancelling_the_servers_comparison_leaves_no_process(client: LanguageClient,
                                                                   tmp_path: Path) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    (root / "forever.py").write_text(FOREVER, encoding="utf-8")
    marker = tmp_path / "marker"
    marker.mkdir()
    _trace(root, "python", "forever.py", str(marker))
    run = _execute(client, {"uri": root.as_uri()})
    deadline = time.monotonic() + 30
    while not ((marker / "pids").exists() and client.progress_reports):
        assert time.monotonic() < deadline, "the workload did not start"
        await asyncio.sleep(0.05)
    pids = [int(p) for p in (marker / "pids").read_text().split()]
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    assert await asyncio.wait_for(run, 15) is None  # answered once, normally
    assert any("comparison cancelled" in m.message for m in client.messages)
    assert not any(alive(pid) for pid in pids)
    assert running(str(marker)) == []


# ------------------------------------------------------------- optimize --hot N --apply


HOT_RUN = '''\
from w.work import common, small

print(sum(small(k) for k in range(30)))
for k in range(6):
    print(common(list(range(1500 + k)), list(range(700, 2300 + k))))
'''


@pytest.mark.slow
def test_hot_apply_ends_with_the_comparison_and_a_changed_output_comes_first(
        tmp_path: Path) -> None:
    """trace → optimize --hot 1 --apply → the comparison against git HEAD, where a wrong edit
    of `small` made by hand (not by lesson-lsp) changed the output: the alarm is the first
    thing printed, the predicted and measured savings stand side by side, the exit code is 1."""
    from tests.test_hot import _project

    root = _project(tmp_path)
    (root / "run.py").write_text(HOT_RUN, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "work")
    work = root / "w" / "work.py"
    work.write_text(work.read_text(encoding="utf-8").replace("return n + 1", "return n + 2"),
                    encoding="utf-8")
    lesson = [PYTHON, "-m", "lesson_lsp.cli"]
    traced = subprocess.run([*lesson, "trace", "--python", PYTHON, "--", "python", "run.py"],
                            cwd=root, capture_output=True, text=True, timeout=300)
    assert traced.returncode == 0, traced.stderr
    hot = subprocess.run([*lesson, "optimize", "--hot", "1", "--apply", "--python", PYTHON],
                         cwd=root, capture_output=True, text=True, timeout=600)
    assert hot.returncode == 1, hot.stdout + hot.stderr
    lines = hot.stdout.splitlines()
    assert lines[0].startswith("!! THE WORKLOAD'S OUTPUT CHANGED"), hot.stdout
    assert "before: '465'" in hot.stdout and "after:  '495'" in hot.stdout
    assert "w/work.py::common" in hot.stdout and "faster (applied)" in hot.stdout
    assert any(line.startswith("saves") for line in lines)
    header = next(line for line in lines if "predicted" in line)
    assert "measured, CPU" in header and "measured, wall" in header
    assert "ITS OUTPUT CHANGED" in lines[-1]
    assert "comparing `python run.py` before and after" in hot.stderr
