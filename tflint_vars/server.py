"""`tflint-vars server`: a Language Server over stdio, on pygls and lsprotocol (`pip install "tflint-vars[server]"`).

Diagnostics on open, on change (debounced) and on save, with the codes, messages and configuration `check` uses (the
nearest pyproject.toml, read again whenever it changes on disk; base classes from the project's other modules through
the same project index); a quick fix per fixable diagnostic, titled with the rule and marked when it is unsafe; a
`source.fixAll.tflint-vars` action that applies the safe fixes only; notebook documents, cell by cell, where the
client sends them; each diagnostic links to its rule's documentation, and hovering shows the rule's summary.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import re
from dataclasses import dataclass

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from tflint_vars import __version__
from tflint_vars.config import Config, ConfigError, find_pyproject, load_config_file
from tflint_vars.diagnostics import SAFE, UNSAFE, Diagnostic
from tflint_vars.docs import rule_help_uri
from tflint_vars.diagnostics import CodeSelection
from tflint_vars.engine import check_source
from tflint_vars.rules.registry import RULES_BY_CODE

SOURCE = "tflint-vars"
FIX_ALL = "source.fixAll.tflint-vars"
DEBOUNCE_SECONDS = 0.3  # after the last change, so a burst of keystrokes is checked once
NOTEBOOK_SELECTOR = [types.NotebookDocumentFilterWithCells(notebook="*", cells=[types.NotebookCellLanguage("python")])]


@dataclass
class Checked:
    """One document's last check: its text and diagnostics, for code actions and hover."""

    text: str
    path: str
    selection: CodeSelection
    diagnostics: list[Diagnostic]


class TflintVarsServer(LanguageServer):
    def __init__(self):
        super().__init__("tflint-vars", __version__, notebook_document_sync=types.NotebookDocumentSyncOptions(
            notebook_selector=NOTEBOOK_SELECTOR, save=True))
        self.checked: dict[str, Checked] = {}  # document (or cell) uri -> its last check
        self.pending: dict[str, asyncio.TimerHandle] = {}  # uri -> the debounced check waiting to run
        self._configs: dict[str, tuple[float, Config]] = {}  # pyproject.toml -> (its mtime when read, config)

    # --- configuration --------------------------------------------------------------------------------------------

    def config_for(self, path: str) -> Config:
        """The `[tool.tflint-vars]` of the nearest pyproject.toml, read again when the file changed on disk."""
        pyproject = find_pyproject(path)
        if pyproject is None:
            return Config()
        mtime = os.stat(pyproject).st_mtime_ns
        cached = self._configs.get(pyproject)
        if cached is None or cached[0] != mtime:
            cached = (mtime, load_config_file(pyproject))
            self._configs[pyproject] = cached
        return cached[1]

    def selection_for(self, path: str) -> tuple[CodeSelection, Config]:
        config = self.config_for(path)
        selection = CodeSelection(config.select, config.ignore, config.fixes).without(config.ignored_for(path))
        return selection, config

    # --- checking and publishing ------------------------------------------------------------------------------------

    def check_text_document(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) or uri
        try:
            selection, config = self.selection_for(path)
        except ConfigError as error:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"tflint-vars: {error}"))
            return
        text = document.source
        diagnostics = check_source(text.encode("utf-8"), path, selection)
        self.checked[uri] = Checked(text, path, selection, diagnostics)
        lines = text.splitlines()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[lsp_diagnostic(d, lines, config.docs_url) for d in diagnostics]))

    def check_notebook(self, notebook_uri: str) -> None:
        """A notebook as `check` reads an .ipynb: its cells in order (markdown cells too, so cell numbers agree),
        each diagnostic published on its cell's document."""
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        if notebook is None:
            return
        path = to_fs_path(notebook_uri) or notebook_uri
        if not path.endswith(".ipynb"):
            path += ".ipynb"
        try:
            selection, config = self.selection_for(path)
        except ConfigError as error:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"tflint-vars: {error}"))
            return
        cells, sources = [], {}
        for cell in notebook.cells:
            code = cell.kind == types.NotebookCellKind.Code
            source = self.workspace.get_text_document(cell.document).source if code else ""
            sources[cell.document] = source
            cells.append({"cell_type": "code" if code else "markdown", "metadata": {}, "source": source,
                          **({"execution_count": None, "outputs": []} if code else {})})
        document = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4,
                    "nbformat_minor": 5}
        found = check_source(json.dumps(document).encode("utf-8"), path, selection)
        by_cell: dict[str, list[Diagnostic]] = {cell.document: [] for cell in notebook.cells}
        for diagnostic in found:
            if diagnostic.cell is not None and 1 <= diagnostic.cell <= len(notebook.cells):
                by_cell[notebook.cells[diagnostic.cell - 1].document].append(diagnostic)
        for cell_uri, diagnostics in by_cell.items():
            lines = sources.get(cell_uri, "").splitlines()
            # A cell's quick fixes would edit the whole notebook: the cell documents carry diagnostics only.
            self.checked.pop(cell_uri, None)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=cell_uri, diagnostics=[lsp_diagnostic(d, lines, config.docs_url) for d in diagnostics]))

    def schedule(self, uri: str, run) -> None:
        """Run `run(uri)` once the changes stop for DEBOUNCE_SECONDS."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(DEBOUNCE_SECONDS, self._run_pending, uri, run)

    def _run_pending(self, uri: str, run) -> None:
        self.pending.pop(uri, None)
        run(uri)

    def recheck_all(self) -> None:
        """After a configuration change: every open document and notebook again."""
        for uri in list(self.workspace.text_documents):
            if self.workspace.get_notebook_document(cell_uri=uri) is None:
                self.check_text_document(uri)
        for uri in list(self.workspace.notebook_documents):
            self.check_notebook(uri)


def utf16_column(line: str, column: int) -> int:
    """LSP counts a line's characters in UTF-16 code units; diagnostics count code points (1-based)."""
    return len(line[:column - 1].encode("utf-16-le")) // 2


def lsp_diagnostic(diagnostic: Diagnostic, lines: list[str], docs_url: str | None) -> types.Diagnostic:
    """The LSP form: from the column to the end of the line's code, the code linked to its rule's page, the fix's
    fields in `data`."""
    line = lines[diagnostic.line - 1] if 1 <= diagnostic.line <= len(lines) else ""
    start = utf16_column(line, diagnostic.column)
    end = max(len(line.rstrip().encode("utf-16-le")) // 2, start)
    rule = RULES_BY_CODE.get(diagnostic.code)
    return types.Diagnostic(
        range=types.Range(types.Position(diagnostic.line - 1, start), types.Position(diagnostic.line - 1, end)),
        message=diagnostic.message,
        severity=types.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        code_description=types.CodeDescription(href=rule_help_uri(rule, docs_url)) if rule else None,
        source=SOURCE,
        data={"applicability": diagnostic.applicability, "fix_title": diagnostic.fix_title,
              "fix_reason": diagnostic.fix_reason},
    )


def _lines(text: str) -> list[str]:
    """The document's lines as LSP counts them (ended by \n, \r\n or \r), each with its ending."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def document_edit(uri: str, version: int | None, before: str, after: str) -> types.WorkspaceEdit:
    """The change from `before` to `after` as whole-line edits of the lines that differ (as ruff's server sends
    them): the editor keeps the cursor, folds and marks of every other line, and its undo shows the fix alone."""
    old, new = _lines(before), _lines(after)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 == len(old) and old and not old[-1].endswith(("\n", "\r")):
            # The last line has no ending: the edit ends where the document does.
            end = types.Position(i2 - 1, len(old[-1].encode("utf-16-le")) // 2)
        else:
            end = types.Position(i2, 0)
        edits.append(types.TextEdit(range=types.Range(types.Position(i1, 0), end), new_text="".join(new[j1:j2])))
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=edits)])


def fix_one(checked: Checked, diagnostic: Diagnostic) -> str | None:
    """The document's text with this one diagnostic's fix applied, or None when it cannot be applied."""
    from tflint_vars.fixes.transform import fix_text_once  # libcst: loaded when a fix is asked for

    try:
        fixed_text, fixed, _ = fix_text_once(checked.text, checked.path, [diagnostic])
    except Exception:  # a fixer's bug costs this action, not the server
        return None
    return fixed_text if fixed and fixed_text != checked.text else None


def fix_all_safe(checked: Checked) -> str:
    from tflint_vars.fixes.fixer import fix_source

    return fix_source(checked.text, checked.path, unsafe=False, selection=checked.selection)


def build_server() -> TflintVarsServer:
    server = TflintVarsServer()

    @server.feature(types.INITIALIZED)
    def initialized(ls: TflintVarsServer, params: types.InitializedParams) -> None:
        watch = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:  # the client watches pyproject.toml for us
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id="tflint-vars-pyproject", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern="**/pyproject.toml")]))]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TflintVarsServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.check_text_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: TflintVarsServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.check_text_document)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TflintVarsServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.endswith("pyproject.toml"):
            ls.recheck_all()
        else:
            ls.check_text_document(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TflintVarsServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.checked.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: TflintVarsServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.check_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    async def notebook_change(ls: TflintVarsServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, ls.check_notebook)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: TflintVarsServer, params: types.DidSaveNotebookDocumentParams) -> None:
        ls.check_notebook(params.notebook_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: TflintVarsServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(change.uri.endswith("pyproject.toml") for change in params.changes):
            ls.recheck_all()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    def code_action(ls: TflintVarsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        checked = ls.checked.get(uri)
        if checked is None:
            return []
        version = ls.workspace.get_text_document(uri).version
        only = params.context.only
        actions = []
        if not only or any(kind in (types.CodeActionKind.QuickFix, "quickfix") for kind in only):
            first, last = params.range.start.line + 1, params.range.end.line + 1
            for diagnostic in checked.diagnostics:
                if diagnostic.fix not in (SAFE, UNSAFE) or not first <= diagnostic.line <= last:
                    continue
                fixed = fix_one(checked, diagnostic)
                if fixed is None:
                    continue
                actions.append(types.CodeAction(
                    title=quick_fix_title(diagnostic), kind=types.CodeActionKind.QuickFix,
                    is_preferred=diagnostic.fix == SAFE,
                    diagnostics=[lsp_diagnostic(diagnostic, checked.text.splitlines(), None)],
                    edit=document_edit(uri, version, checked.text, fixed)))
        if not only or any(kind in (FIX_ALL, types.CodeActionKind.Source, types.CodeActionKind.SourceFixAll)
                           for kind in only):
            fixed = fix_all_safe(checked)
            if fixed != checked.text:
                actions.append(types.CodeAction(title="tflint-vars: apply every safe fix",
                                                kind=FIX_ALL,
                                                edit=document_edit(uri, version, checked.text, fixed)))
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: TflintVarsServer, params: types.HoverParams) -> types.Hover | None:
        checked = ls.checked.get(params.text_document.uri)
        if checked is None:
            return None
        line = params.position.line + 1
        found = [d for d in checked.diagnostics if d.line == line]
        if not found:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value="\n\n---\n\n".join(hover_text(d) for d in found)))

    return server


def quick_fix_title(diagnostic: Diagnostic) -> str:
    rule = RULES_BY_CODE.get(diagnostic.code)
    title = f"{diagnostic.code} ({rule.name if rule else ''}): {diagnostic.fix_title or 'apply the fix'}"
    return f"{title} (unsafe fix)" if diagnostic.fix == UNSAFE else title


def hover_text(diagnostic: Diagnostic) -> str:
    """The rule's summary, the finding, and its fix: what `tflint-vars rule CODE` opens with."""
    rule = RULES_BY_CODE.get(diagnostic.code)
    parts = [f"**{diagnostic.code}** `{rule.name}`: {rule.summary()}" if rule else f"**{diagnostic.code}**",
             diagnostic.message]
    fix = {SAFE: "safe fix", UNSAFE: "unsafe fix"}.get(diagnostic.fix, "no automatic fix")
    detail = f"{fix}: {diagnostic.fix_title}" if diagnostic.fix_title else fix
    parts.append(detail + (f" ({diagnostic.fix_reason})" if diagnostic.fix_reason else ""))
    parts.append(f"`tflint-vars rule {diagnostic.code}` has the whole story.")
    return "\n\n".join(parts)


def main() -> int:
    build_server().start_io()
    return 0
