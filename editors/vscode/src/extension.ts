// lesson-lsp for VS Code: a thin client. It starts the server, passes settings, and offers
// "Lesson team: optimize function at cursor"; everything else is the server's.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { findServer, probe } from "./server";
import { SECTION, serverSettings } from "./settings";

export const ACTION_TITLE = "Optimize with lesson team";
let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined;

async function start(context: vscode.ExtensionContext): Promise<void> {
  const server = await findServer();
  output?.appendLine(`starting ${server.command} ${server.args.join(" ")} (from ${server.origin})`);
  if (!(await probe(server))) {
    const message = `lesson-lsp was not found (${server.origin}: ${server.command}). ` +
      "Install it in your Python environment with `pip install lesson-lsp` (or from its " +
      "repository with `pip install .`), or set lesson-lsp.path / lesson-lsp.interpreter.";
    output?.appendLine(message);
    void vscode.window.showErrorMessage(message);
    return;
  }
  const serverOptions: ServerOptions = {
    command: server.command,
    args: [...server.args, "--stdio"],
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "python" }],
    initializationOptions: serverSettings(),
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
  };
  client = new LanguageClient("lesson-lsp", "Lesson team", serverOptions, clientOptions);
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

async function optimizeAtCursor(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage("Put the cursor in a Python function first.");
    return;
  }
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    "vscode.executeCodeActionProvider", editor.document.uri, editor.selection,
    vscode.CodeActionKind.RefactorRewrite.value);
  const action = (actions ?? []).find((a) => a.title === ACTION_TITLE);
  if (!action?.command) {
    void vscode.window.showInformationMessage("No function under the cursor to optimize.");
    return;
  }
  await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Lesson team", { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("lesson-lsp.optimizeAtCursor", optimizeAtCursor),
    vscode.commands.registerCommand("lesson-lsp.restart", async () => {
      await client?.stop();
      client = undefined;
      await start(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
