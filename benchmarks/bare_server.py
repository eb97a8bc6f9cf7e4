"""The baseline for benchmarks/editor_speed.py: a bare pygls 2 server over stdio.

It keeps documents with pygls's default (incremental) sync, offers one static code action of
kind refactor.rewrite for any codeAction request, and answers hover with a static Markdown
string; nothing else. Whatever lesson-lsp costs beyond this is lesson-lsp's own.

    python benchmarks/bare_server.py
"""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

TITLE = "Static action"
HOVER = "**bare pygls** · a static hover"

server = LanguageServer("bare-pygls", "0")


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.RefactorRewrite]),
)
def code_action(ls: LanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    return [lsp.CodeAction(title=TITLE, kind=lsp.CodeActionKind.RefactorRewrite)]


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: lsp.HoverParams) -> lsp.Hover:
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=HOVER))


if __name__ == "__main__":
    server.start_io()
