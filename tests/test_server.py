"""The language server over real stdio (pytest-lsp): code actions, the optimize command with
progress and a versioned edit, messages, hover."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import EXAMPLES, team


def make_client() -> LanguageClient:
    """A test client that, like a real editor, refuses an edit for a stale document version."""
    client = pytest_lsp.make_test_lsp_client()
    client.versions = {}  # type: ignore[attr-defined]
    client.edits = []  # type: ignore[attr-defined]
    client.after_apply = None  # type: ignore[attr-defined]  # what the editor does next
    converter = client.protocol._converter

    # lsprotocol reads any item with a "command" key as a Command, but a CodeAction carries a
    # Command object there; tell them apart the way the specification does.
    def command_or_action(obj: Any, _: type) -> Any:
        kind = lsp.Command if isinstance(obj.get("command"), str) else lsp.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(
        Union[lsp.Command, lsp.CodeAction], command_or_action  # noqa: UP007 - the exact key
    )

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        client.edits.append(params)  # type: ignore[attr-defined]
        for change in params.edit.document_changes or []:
            assert isinstance(change, lsp.TextDocumentEdit)
            doc = change.text_document
            if client.versions.get(doc.uri) != doc.version:  # type: ignore[attr-defined]
                return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason="stale")
        if client.after_apply is not None:  # type: ignore[attr-defined]
            client.after_apply(params)  # type: ignore[attr-defined]
        return lsp.ApplyWorkspaceEditResult(applied=True)

    return client


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "lesson_lsp.cli", "serve", "--stdio"],
    client_factory=make_client,
))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    shutil.copy(EXAMPLES / "slow.py", tmp_path / "slow.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 2\n[tool.lesson-lsp.inputs]\n'
        '"slow.py::fib" = "slow.py::inputs"\n'
        '"slow.py::count_common" = "slow.py::common_inputs"\n'
        + team("memoize", "membership-set"), encoding="utf-8")
    params = lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="t")],
    )
    await lsp_client.initialize_session(params)
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=version,
                                           text=text if text is not None else path.read_text())))
    client.versions[uri] = version  # type: ignore[attr-defined]
    return uri


def actions_at(client: LanguageClient, uri: str, line: int, col: int):
    return client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(start=lsp.Position(line, col), end=lsp.Position(line, col)),
        context=lsp.CodeActionContext(diagnostics=[])))


@pytest.mark.asyncio
async def test_code_action_only_inside_a_function(client: LanguageClient) -> None:
    uri = open_doc(client, client.root / "slow.py")  # type: ignore[attr-defined]
    inside = await actions_at(client, uri, 6, 8)
    assert inside and inside[0].title == "Optimize with lesson team"
    assert inside[0].kind == lsp.CodeActionKind.RefactorRewrite
    assert inside[0].command is not None and inside[0].command.command == "lesson-lsp.optimize"
    assert not await actions_at(client, uri, 0, 0)
    assert not await actions_at(client, uri, 2, 0)


@pytest.mark.asyncio
async def test_optimize_applies_a_versioned_edit_with_progress_and_hover(
        client: LanguageClient) -> None:
    uri = open_doc(client, client.root / "slow.py", version=7)  # type: ignore[attr-defined]
    action = (await actions_at(client, uri, 6, 8))[0]
    assert action.command is not None
    # The team and the harness load with the first run; the log says how runs are isolated.
    assert not any("sandbox isolation:" in m.message for m in client.log_messages)
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments))
    assert result["improved"] and result["applied"]
    assert any("sandbox isolation:" in m.message for m in client.log_messages)
    edit = client.edits[-1]  # type: ignore[attr-defined]
    assert edit.label.startswith("Optimize fib: ") and "× faster" in edit.label
    change = edit.edit.document_changes[0]
    assert change.text_document.version == 7
    assert any("@functools.cache" in e.new_text for e in change.edits)
    assert any(e.new_text == "import functools\n" for e in change.edits)
    kinds = [getattr(v, "kind", None) for reports in client.progress_reports.values()
             for v in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(6, 8)))
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "× faster" in text and "memoize" in text and "Lessons" in text
    # What the shipped version was checked on: the generator, derived edges, what the deep
    # check added (fuzzing fills its time box with as many inputs as the machine allows), and
    # which of its branches those inputs ran.
    checked = next(line for line in text.splitlines() if line.startswith("Checked on "))
    assert "3 generator" in checked and "derived" in checked
    assert any(deep in checked for deep in ("fuzzed", "candidate constants", "concolic"))
    assert "branches " in checked
    # Each fact its own paragraph (Markdown would run adjacent lines together), counted right.
    assert re.search(r"\d+ inputs? \(.*\) · isolation: .* · \d+ candidates? checked\.\n\n", text)
    assert not re.search(r"\b1 (inputs|candidates)\b|\b0 held out", text), text
    # The size of the edit that shipped, as a reviewer counts it.
    assert re.search(r"^The edit changes \d+ lines \(removed plus added\)\.$", text, re.M), text


@pytest.mark.asyncio
async def test_no_improvement_is_a_message_and_no_edit(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    (root / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"slow.py::already_fast" = "slow.py::fast_inputs"\n', encoding="utf-8")
    uri = open_doc(client, root / "slow.py")
    line = next(i for i, ln in enumerate((root / "slow.py").read_text().splitlines())
                if ln.startswith("def already_fast"))
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize",
        arguments=[{"uri": uri, "position": {"line": line + 1, "character": 4}, "version": 1}]))
    assert client.edits == []  # type: ignore[attr-defined]
    said = [m.message for m in client.messages if "no faster verified version" in m.message]
    # No rule applied: the message says so and shows how to add an LLM team.
    assert said and "no offline rewrite rule applies to it" in said[0]
    assert "[[tool.lesson-lsp.team]]" in said[0] and 'kind = "openai"' in said[0]
    assert "api_key_env" in said[0] and "The file is unchanged." in said[0]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_hover_finds_the_lessons_the_cli_banked(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    done = subprocess.run([sys.executable, "-m", "lesson_lsp.cli", "optimize", "slow.py::fib",
                           "--rounds", "1", "--json"], cwd=root, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    faster = [x for x in json.loads(done.stdout)["lessons"] if x["outcome"] == "faster"]
    uri = open_doc(client, root / "slow.py")
    lines = (root / "slow.py").read_text().splitlines()
    line = next(i for i, ln in enumerate(lines) if ln.startswith("def fib"))
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line + 2, 4)))
    # Lessons are per function (issue 14): fib's do not reach an unrelated count_common.
    other = next(i for i, ln in enumerate(lines) if ln.startswith("def count_common"))
    assert await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=lsp.Position(other + 2, 4))) is None
    if not faster:  # the hover shows only lessons that paid; timing decides whether fib's did
        return
    assert hover is not None
    text = hover.contents.value  # type: ignore[union-attr]
    assert "banked lessons that may apply" in text and "*memoize* (faster in round 1 at " in text


@pytest.mark.asyncio
async def test_stale_document_is_not_edited_and_errors_are_messages(
        client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    uri = open_doc(client, root / "slow.py", version=1)
    # The user typed after the action was offered: the command refuses to start.
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(
            text=(root / "slow.py").read_text() + "\n# typed\n")]))
    client.versions[uri] = 2  # type: ignore[attr-defined]
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize",
        arguments=[{"uri": uri, "position": {"line": 6, "character": 8}, "version": 1}]))
    assert client.edits == []  # type: ignore[attr-defined]
    assert any("changed" in m.message for m in client.messages)
    # A cursor outside any function, and an unparsable file: clear messages, server still up.
    broken = open_doc(client, root / "broken.py", text="def f(:\n    return 1\n")
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize",
        arguments=[{"uri": uri, "position": {"line": 2, "character": 0}, "version": 2}]))
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize",
        arguments=[{"uri": broken, "position": {"line": 1, "character": 4}, "version": 1}]))
    # A command without its arguments, and a buffer never saved: each says what to do next.
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize", arguments=[]))
    untitled = "untitled:Untitled-1"
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=untitled, language_id="python", version=1,
                                           text="def g(n):\n    return n\n")))
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize",
        arguments=[{"uri": untitled, "position": {"line": 1, "character": 4}, "version": 1}]))
    errors = [m.message for m in client.messages if m.type == lsp.MessageType.Error]
    assert any("no function at line 3" in e for e in errors)
    assert any("does not parse" in e for e in errors)
    assert any('use the code action "Optimize with lesson team"' in e for e in errors)
    assert any("is not a file on disk; save it in the project, then run the action again" in e
               for e in errors)
    assert client.edits == []  # type: ignore[attr-defined]
    started = time.perf_counter()
    assert await actions_at(client, uri, 6, 8)
    assert time.perf_counter() - started < 5


@pytest.mark.slow
@pytest.mark.asyncio
async def test_churn_save_keeps_the_edit_and_a_second_run_on_the_file_is_not_applied_stale(
        client: LanguageClient) -> None:
    # Two functions of one file optimized at once; the user saves during the runs. Saving does
    # not change the text, so the first edit applies; once it has, the file is at a new
    # version, so the second run's edit (computed for the old one) is not applied, and the
    # user is told why.
    root: Path = client.root  # type: ignore[attr-defined]
    uri = open_doc(client, root / "slow.py", version=1)
    original = (root / "slow.py").read_text()

    def applied(params: lsp.ApplyWorkspaceEditParams) -> None:
        # Like an editor: the document moves to a new version, and the server hears of it.
        client.versions[uri] += 1  # type: ignore[attr-defined]
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(
                uri=uri, version=client.versions[uri]),  # type: ignore[attr-defined]
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(
                text=original + "\n# edited by the first run\n")]))

    client.after_apply = applied  # type: ignore[attr-defined]

    def optimize_at(line: int):
        return client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            command="lesson-lsp.optimize",
            arguments=[{"uri": uri, "position": {"line": line, "character": 8}, "version": 1}]))

    import asyncio

    runs = [asyncio.ensure_future(optimize_at(5)), asyncio.ensure_future(optimize_at(12))]
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri)))
    results = await asyncio.gather(*runs)
    assert all(r["improved"] for r in results), results
    assert sorted(bool(r.get("applied")) for r in results) == [False, True]
    assert len(client.edits) == 1  # type: ignore[attr-defined]  # the stale one never sent
    assert any("changed during the run" in m.message for m in client.messages)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_two_runs_on_one_file_both_land_when_only_the_team_changed_it(
        client: LanguageClient) -> None:
    # Like test_churn_… but the editor's text after the first edit is exactly that edit: the
    # second run's edit is planned again on the new version and lands too.
    from lesson_lsp.source.edits import TextEdit, apply

    root: Path = client.root  # type: ignore[attr-defined]
    uri = open_doc(client, root / "slow.py", version=1)
    text = {"now": (root / "slow.py").read_text()}

    def applied(params: lsp.ApplyWorkspaceEditParams) -> None:
        change = params.edit.document_changes[0]  # type: ignore[index]
        edits = [TextEdit(e.range.start.line, e.range.start.character, e.range.end.line,
                          e.range.end.character, e.new_text) for e in change.edits]  # type: ignore
        text["now"] = apply(text["now"], edits, "utf-16")
        client.versions[uri] += 1  # type: ignore[attr-defined]
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(
                uri=uri, version=client.versions[uri]),  # type: ignore[attr-defined]
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text["now"])]))

    client.after_apply = applied  # type: ignore[attr-defined]

    def optimize_at(line: int):
        return client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            command="lesson-lsp.optimize",
            arguments=[{"uri": uri, "position": {"line": line, "character": 8}, "version": 1}]))

    import asyncio

    results = await asyncio.gather(optimize_at(5), optimize_at(12))
    assert all(r["improved"] and r["applied"] for r in results), results
    edits = client.edits  # type: ignore[attr-defined]
    assert [e.edit.document_changes[0].text_document.version for e in edits] == [1, 2]
    final = text["now"]
    assert "@functools.cache" in final and final.count("import functools") == 1
    assert "set(" in final  # the membership rewrite of count_common
    namespace: dict = {}
    exec(compile(final, "slow.py", "exec"), namespace)  # the file still runs
    assert namespace["fib"](30) == 832040
    assert not any("changed during the run" in m.message for m in client.messages)
