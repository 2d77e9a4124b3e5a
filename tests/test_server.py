"""`tflint-vars server` driven over stdio by a real LSP client (pygls' LanguageClient, in this process), on real files:
diagnostics on open, change and save as `check` reports them, a quick fix per fixable diagnostic, fix-all-safe,
hover, notebook cells, configuration reload and the project index. Issue 19, item 1."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from conftest import FIXTURES, ROOT, check_json
from tflint_vars.fixes.fixer import fix_source

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SEED1 = (FIXTURES / "seed1_variable_in_init.py").read_text()
UNSAFE_IN_CALL = (FIXTURES / "tfv002_variable_in_call.py").read_text()


class Client:
    """A real LanguageClient on a `python -m tflint_vars server` subprocess; diagnostics kept per uri as they come."""

    def __init__(self, root: Path):
        self.root = root
        self.lsp = LanguageClient("test-client", "1")
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.events: dict[str, asyncio.Event] = {}

        @self.lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = params.diagnostics
            self.event(params.uri).set()

        @self.lsp.feature(types.WINDOW_SHOW_MESSAGE)
        def message(params: types.ShowMessageParams) -> None:
            self.published.setdefault("messages", []).append(params.message)

    def event(self, uri: str) -> asyncio.Event:
        return self.events.setdefault(uri, asyncio.Event())

    async def start(self) -> None:
        await self.lsp.start_io(sys.executable, "-m", "tflint_vars", "server", cwd=str(self.root))
        await self.lsp.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=self.root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="project")]))
        self.lsp.initialized(types.InitializedParams())

    async def diagnostics(self, uri: str, timeout: float = 120) -> list[types.Diagnostic]:
        await asyncio.wait_for(self.event(uri).wait(), timeout)
        self.event(uri).clear()
        return list(self.published[uri])

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.event(uri).clear()
        self.lsp.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        return uri

    async def stop(self) -> None:
        await self.lsp.shutdown_async(None)
        self.lsp.exit(None)
        await self.lsp.stop()


def run(coroutine_function):
    """Run an async test body with a started client on a scratch project."""
    def wrapper(tmp_path):
        async def body():
            client = Client(tmp_path)
            await client.start()
            try:
                await coroutine_function(client, tmp_path)
            finally:
                await client.stop()
        asyncio.run(asyncio.wait_for(body(), 300))
    wrapper.__name__ = coroutine_function.__name__
    wrapper.__doc__ = coroutine_function.__doc__
    return wrapper


def apply(text: str, edit: types.WorkspaceEdit) -> str:
    """`text` with a workspace edit's text edits applied as an editor applies them (LSP: ranges refer to the
    original document, positions count UTF-16 code units, lines end at \n, \r\n or \r)."""
    (change,) = edit.document_changes
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        before = sum(len(line) for line in lines[:position.line])
        units = lines[position.line].encode("utf-16-le")[:2 * position.character]
        return before + len(units.decode("utf-16-le"))

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in change.edits), reverse=True)
    assert all(later[1] <= earlier[0] for earlier, later in zip(spans, spans[1:])), "overlapping edits"
    for start, end, new_text in spans:
        text = text[:start] + new_text + text[end:]
    return text


@run
async def test_diagnostics_on_open_are_checks_and_link_to_the_rule(client, root):
    path = root / "layer.py"
    path.write_text(SEED1)
    diagnostics = await client.diagnostics(client.open(path, SEED1))
    expected = check_json(str(path))
    assert [(d.range.start.line + 1, d.range.start.character + 1, d.code, d.message) for d in diagnostics] == \
        [(e["line"], e["column"], e["code"], e["message"]) for e in expected]
    assert all(d.source == "tflint-vars" and d.code_description.href.startswith("file://") for d in diagnostics)
    assert diagnostics[0].code_description.href.endswith("tfv001_variable_in_init.py")
    assert diagnostics[0].data["applicability"] == "safe"


@run
async def test_quick_fix_per_diagnostic_and_fix_all_applies_safe_fixes_only(client, root):
    path = root / "layer.py"
    text = SEED1 + "\n\n" + UNSAFE_IN_CALL.split("\n", 2)[2]  # seed 1's two safe TFV001 and TFV002's unsafe one
    path.write_text(text)
    uri = client.open(path, text)
    diagnostics = await client.diagnostics(uri)
    by_code = {d.code: d for d in diagnostics}
    assert set(by_code) == {"TFV001", "TFV002"}
    whole = types.Range(types.Position(0, 0), types.Position(len(text.splitlines()), 0))

    actions = await client.lsp.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=whole,
        context=types.CodeActionContext(diagnostics=diagnostics, only=[types.CodeActionKind.QuickFix])))
    titles = [action.title for action in actions]
    assert titles.count("TFV001 (variable-in-init): Replace with `self.add_weight(...)`") == 2
    assert "TFV002 (variable-in-call): Create it once in `build` with `self.add_weight(...)` (unsafe fix)" in titles
    unsafe = next(a for a in actions if a.title.startswith("TFV002"))
    assert not unsafe.is_preferred
    one = apply(text, actions[0].edit)
    remaining = check_json_text(root, one)
    assert sorted(d["code"] for d in remaining) == ["TFV001", "TFV002"]  # one TFV001 fixed, nothing else

    (fix_all,) = await client.lsp.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=whole,
        context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.tflint-vars"])))
    assert fix_all.kind == "source.fixAll.tflint-vars"
    fixed = apply(text, fix_all.edit)
    assert fixed == fix_source(text, str(path))  # the safe fixes, as `check --fix` makes them
    assert [d["code"] for d in check_json_text(root, fixed)] == ["TFV002"]  # the unsafe one is left


async def open_seed1(client: Client, root: Path) -> str:
    """Seed 1 on disk and open in the editor, with its two diagnostics in; its uri."""
    path = root / "layer.py"
    path.write_text(SEED1)
    uri = client.open(path, SEED1)
    assert len(await client.diagnostics(uri)) == 2
    return uri


def check_json_text(root: Path, text: str) -> list[dict]:
    probe = root / "probe" / "layer.py"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text(text)
    return check_json(str(probe))


@run
async def test_change_is_debounced_and_save_checks_again(client, root):
    uri = await open_seed1(client, root)
    clean = SEED1.replace("tf.Variable(", "tf.constant(")
    for version in range(2, 6):  # a burst of edits: checked once, after the last
        client.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=clean)]))
    assert await client.diagnostics(uri) == []
    await asyncio.sleep(1)
    assert not client.event(uri).is_set()  # no second publication for the same burst
    client.lsp.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await client.diagnostics(uri) == []


@run
async def test_hover_shows_the_rule_summary(client, root):
    path = root / "layer.py"
    path.write_text(SEED1)
    uri = client.open(path, SEED1)
    (first, _) = await client.diagnostics(uri)
    hover = await client.lsp.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), first.range.start))
    from tflint_vars.rules.registry import RULES_BY_CODE

    assert RULES_BY_CODE["TFV001"].summary() in hover.contents.value
    assert "Replace with `self.add_weight(...)`" in hover.contents.value


@run
async def test_configuration_is_read_again_when_pyproject_changes(client, root):
    uri = await open_seed1(client, root)
    pyproject = root / "pyproject.toml"
    pyproject.write_text('[tool.tflint-vars]\nignore = ["TFV001"]\n')
    client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=pyproject.as_uri(), type=types.FileChangeType.Created)]))
    assert await client.diagnostics(uri) == []
    pyproject.write_text('[tool.tflint-vars]\nextend-unsafe-fixes = ["TFV001"]\n')
    client.lsp.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(
        pyproject.as_uri())))
    diagnostics = await client.diagnostics(uri)
    assert [d.data["applicability"] for d in diagnostics] == ["unsafe", "unsafe"]


@run
async def test_base_classes_from_other_modules_come_from_the_project_index(client, root):
    """As `check`: a base class imported from the project's own module is known to be a Keras layer."""
    project = root / "project_index"
    shutil.copytree(FIXTURES / "project_index", project)
    module = next(p for p in project.rglob("*.py") if p.with_suffix(".toml").is_file())
    expected = check_json(str(module))
    assert expected
    diagnostics = await client.diagnostics(client.open(module, module.read_text()))
    assert [(d.range.start.line + 1, d.code) for d in diagnostics] == [(e["line"], e["code"]) for e in expected]


@run
async def test_notebook_cells_get_their_own_diagnostics(client, root):
    notebook_uri = (root / "layer.ipynb").as_uri()
    imports, layer = "import tensorflow as tf\n", SEED1[SEED1.index("class "):]
    cells = [("markdown", "# Title"), ("code", imports), ("code", layer)]
    cell_uris = [f"vscode-notebook-cell:{root / 'layer.ipynb'}#cell{index}" for index in range(len(cells))]
    client.lsp.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(uri=notebook_uri, notebook_type="jupyter-notebook", version=1,
                                                 cells=[types.NotebookCell(
                                                     kind=types.NotebookCellKind.Code if kind == "code"
                                                     else types.NotebookCellKind.Markup, document=uri)
                                                     for (kind, _), uri in zip(cells, cell_uris)]),
        cell_text_documents=[types.TextDocumentItem(uri=uri, language_id="python" if kind == "code" else "markdown",
                                                    version=1, text=text)
                             for (kind, text), uri in zip(cells, cell_uris)]))
    diagnostics = await client.diagnostics(cell_uris[2])
    (root / "layer.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": kind, "metadata": {}, "source": text,
                   **({"execution_count": None, "outputs": []} if kind == "code" else {})} for kind, text in cells],
        "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}))
    expected = check_json(str(root / "layer.ipynb"))
    assert [(d.range.start.line + 1, d.range.start.character + 1, d.code) for d in diagnostics] == \
        [(e["line"], e["column"], e["code"]) for e in expected if e["cell"] == 3]
    assert len(diagnostics) == 2


# --- the editor set-up snippets in docs/editors.md --------------------------------------------------------------

def _snippets() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for language, body in re.findall(r"^```(\w+)\n(.*?)^```", text, re.S | re.M):
        found.setdefault(language, []).append(body)
    return found


def test_each_editor_snippet_parses_and_starts_this_server():
    import tomllib

    import sexpdata
    from luaparser import ast as lua

    snippets = _snippets()
    assert sorted(snippets) == ["elisp", "json", "lua", "toml"]
    vscode = json.loads(snippets["json"][0])
    assert (vscode["glspc.server.command"], vscode["glspc.server.commandArguments"]) == ("tflint-vars", ["server"])
    assert "source.fixAll.tflint-vars" in vscode["editor.codeActionsOnSave"]
    tree = lua.parse(snippets["lua"][0])
    assert '"tflint-vars", "server"' in snippets["lua"][0] and tree.body.body
    helix = tomllib.loads(snippets["toml"][0])
    assert helix["language-server"]["tflint-vars"] == {"command": "tflint-vars", "args": ["server"]}
    assert "tflint-vars" in helix["language"][0]["language-servers"]
    forms = sexpdata.loads(f"(progn {snippets['elisp'][0]})")
    assert '"tflint-vars" "server"' in snippets["elisp"][0] and len(forms) == 3


def test_the_snippet_checks_reject_broken_syntax():
    """The parsers above do fail on a broken snippet of each kind."""
    import sexpdata
    from luaparser import ast as lua

    with pytest.raises(json.JSONDecodeError):
        json.loads('{"glspc.server.command": "tflint-vars",}')
    with pytest.raises(lua.SyntaxException):
        lua.parse("vim.lsp.enable(")
    with pytest.raises(sexpdata.ExpectClosingBracket):
        sexpdata.loads("(add-hook 'x")


@run
async def test_a_quick_fix_edits_only_the_lines_it_changes(client, root):
    """An editor keeps its cursor, folds and marks on the lines a fix does not touch: the edit spans only the changed
    lines (here one `tf.Variable` line of seed 1, not the whole document); CRLF documents and non-ASCII text before
    the change keep their bytes."""
    text = ("# café: ünïcode before the change\r\n" + SEED1.replace("\n", "\r\n")).rstrip("\r\n")  # no final newline
    path = root / "layer.py"
    path.write_text(text, newline="")
    uri = client.open(path, text)
    diagnostics = await client.diagnostics(uri)
    actions = await client.lsp.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri), range=diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=[diagnostics[0]], only=[types.CodeActionKind.QuickFix])))
    (change,) = actions[0].edit.document_changes
    touched = {line for e in change.edits for line in range(e.range.start.line, e.range.end.line + 1)}
    assert 0 < len(touched) <= 3 and min(touched) > 0, change.edits
    fixed = apply(text, actions[0].edit)
    assert fixed.startswith("# café: ünïcode before the change\r\n")
    assert [d["code"] for d in check_json_text(root, fixed)] == ["TFV001"]  # one of the two fixed
    assert fixed.count("\r\n") == fixed.count("\n") and not fixed.endswith("\n")  # endings kept, none added
