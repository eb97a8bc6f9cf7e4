// The extension's settings as the server reads them: the keys of [tool.lesson-lsp].
import * as vscode from "vscode";

export const SECTION = "lesson-lsp";

const SERVER_KEYS = [
  "rounds", "timeBudgetS", "tokenBudget", "lessonsPerPrompt", "restartFrom", "preset", "bank",
  "team", "harness", "inputs", "embeddings", "llmTimeoutS", "maxConcurrentRuns",
];

/** Only the settings the user changed, so that pyproject.toml values are not masked. */
export function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const inspected = config.inspect(key);
    const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  return settings;
}
