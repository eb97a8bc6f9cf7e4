// lesson-lsp for VS Code: a thin client. It starts the server, passes settings, and offers
// "Lesson team: optimize function at cursor", "Lesson team: trace workload" and "Lesson team:
// compare workload"; everything else (code lenses on hot functions included) is the server's.
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification, LanguageClient, LanguageClientOptions, ServerOptions,
} from "vscode-languageclient/node";
import { pythonEnvironments, PythonEnvironments } from "./python";
import { progressAsNotifications } from "./progress";
import { findServer } from "./server";
import { LAUNCH_KEYS, SECTION, serverSettings } from "./settings";
import { COMPARE_WORKLOAD, compareWorkload } from "./compare";
import { TRACE_WORKLOAD, traceWorkload } from "./trace";

export const ACTION_TITLE = "Optimize with lesson team";
let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined;
let environments: PythonEnvironments | undefined;
let sent: string | undefined; // the settings the server has, as JSON
let pushing: Promise<void> = Promise.resolve();

async function start(context: vscode.ExtensionContext): Promise<void> {
  const found = await findServer(environments);
  const server = found.server;
  if (!server) {
    const tried = found.tried.map((s) => `${s.origin}: ${s.command}`).join("; ");
    const message = `lesson-lsp was not found (tried ${tried}). Install it with ` +
      "`pip install lesson-lsp` (from its repository: `pip install .`) in the Python " +
      "environment selected in VS Code or with pipx so that it is on PATH, or set " +
      "lesson-lsp.path / lesson-lsp.serverInterpreter.";
    output?.appendLine(message);
    void vscode.window.showErrorMessage(message);
    return;
  }
  output?.appendLine(`starting ${server.command} ${server.args.join(" ")} (from ${server.origin})`);
  const { settings, interpreterOrigin } = await serverSettings(environments);
  const python = settings.interpreter ?? settings.editorInterpreter ?? "-";
  output?.appendLine(`the project's Python: ${python} (${interpreterOrigin})`);
  const serverOptions: ServerOptions = {
    command: server.command,
    args: [...server.args, "--stdio"],
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "python" }],
    initializationOptions: settings,
    // No synchronize.configurationSection: it would send the whole section with its defaults
    // and the launch settings; pushSettings sends what the server reads.
    outputChannel: output,
  };
  client = new LanguageClient("lesson-lsp", "Lesson team", serverOptions, clientOptions);
  sent = JSON.stringify(settings);
  await client.start();
  context.subscriptions.push(progressAsNotifications(client)); // a notification, cancellable
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

/** Send the server its settings again if they changed (workspace/didChangeConfiguration). */
function pushSettings(reason: string): Promise<void> {
  pushing = pushing.then(async () => {
    if (!client?.isRunning()) {
      return;
    }
    const { settings, interpreterOrigin } = await serverSettings(environments);
    const text = JSON.stringify(settings);
    if (text === sent) {
      return;
    }
    sent = text;
    output?.appendLine(`${reason}: sending the settings to the server; the project's Python: ` +
      `${settings.interpreter ?? settings.editorInterpreter ?? "-"} (${interpreterOrigin})`);
    await client.sendNotification(DidChangeConfigurationNotification.type,
      { settings: { [SECTION]: settings } });
  }).catch((error) => output?.appendLine(`could not send the settings: ${error}`));
  return pushing;
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
  const restart = async () => {
    await client?.stop();
    client = undefined;
    await start(context);
  };
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("lesson-lsp.optimizeAtCursor", optimizeAtCursor),
    vscode.commands.registerCommand("lesson-lsp.restart", restart),
    vscode.commands.registerCommand(TRACE_WORKLOAD, () => traceWorkload(context)),
    vscode.commands.registerCommand(COMPARE_WORKLOAD, compareWorkload),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SECTION)) {
        return;
      }
      if (LAUNCH_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
        void vscode.window.showInformationMessage(
          "lesson-lsp: restart the server to start it from the new setting.", "Restart")
          .then((choice) => (choice === "Restart" ? restart() : undefined));
      }
      void pushSettings("the lesson-lsp settings changed");
    }),
  );
  environments = await pythonEnvironments();
  if (environments) {
    context.subscriptions.push(environments.onDidChangeActiveEnvironmentPath(
      () => void pushSettings("the Python extension's selected environment changed")));
  }
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
