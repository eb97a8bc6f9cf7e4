// "Lesson team: trace workload": ask for the workload's command line (the last one used in
// this workspace prefilled), then have the server trace it (`lesson-lsp.trace`, which the
// language client registered as a VS Code command). The server shows the progress, the summary
// and, through the client, the code lenses on the hot functions.
import * as vscode from "vscode";

export const TRACE_WORKLOAD = "lesson-lsp.traceWorkload";
export const SERVER_TRACE = "lesson-lsp.trace";
export const LAST_COMMAND = "lesson-lsp.lastTraceCommand";
const FIRST_GUESS = "python -m pytest -q";

export async function traceWorkload(context: vscode.ExtensionContext): Promise<unknown> {
  const last = context.workspaceState.get<string>(LAST_COMMAND) ?? FIRST_GUESS;
  const command = await vscode.window.showInputBox({
    title: "Lesson team: trace workload",
    prompt: "The command that runs your workload, from the project's root " +
      "(e.g. python run.py, python -m pytest -q)",
    value: last,
    ignoreFocusOut: true,
  });
  if (!command?.trim()) {
    return undefined;
  }
  await context.workspaceState.update(LAST_COMMAND, command.trim());
  const document = vscode.window.activeTextEditor?.document;
  const argument: Record<string, string> = { command: command.trim() };
  if (document?.languageId === "python" && document.uri.scheme === "file") {
    argument.uri = document.uri.toString(); // its project is the one traced
  }
  return vscode.commands.executeCommand(SERVER_TRACE, argument);
}
