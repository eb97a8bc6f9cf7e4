// "Lesson team: compare workload": have the server run the last traced workload on the code
// before the edits and as it is now (`lesson-lsp.compare`, registered as a VS Code command by
// the language client). The server shows the cancellable progress and the result: the ratio
// with its interval, and whether the output stayed the same.
import * as vscode from "vscode";

export const COMPARE_WORKLOAD = "lesson-lsp.compareWorkload";
export const SERVER_COMPARE = "lesson-lsp.compare";

export async function compareWorkload(): Promise<unknown> {
  const document = vscode.window.activeTextEditor?.document;
  const argument: Record<string, string> = {};
  if (document?.languageId === "python" && document.uri.scheme === "file") {
    argument.uri = document.uri.toString(); // its project's last trace is compared
  }
  return vscode.commands.executeCommand(SERVER_COMPARE, argument);
}
