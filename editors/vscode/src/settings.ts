// The extension's settings as the server reads them: the keys of [tool.lesson-lsp].
import * as vscode from "vscode";
import { activeInterpreter, PythonEnvironments, workspaceResource } from "./python";

export const SECTION = "lesson-lsp";

const SERVER_KEYS = [
  "rounds", "timeBudgetS", "tokenBudget", "lessonsPerPrompt", "restartFrom", "preset", "bank",
  "team", "harness", "inputs", "embeddings", "llmTimeoutS", "maxConcurrentRuns", "interpreter",
  "traceLensMinShare", "traceTimeoutS",
];

/** Settings that choose how the server is started, not what it does: a restart applies them. */
export const LAUNCH_KEYS = ["path", "serverInterpreter"];

export interface ServerSettings {
  settings: Record<string, unknown>;
  /** Where the project's Python came from, for the log. */
  interpreterOrigin: string;
}

/** Only the settings the user changed, so that pyproject.toml values are not masked; and the
 * Python extension's selected environment as `editorInterpreter`, which the server uses when
 * neither lesson-lsp.interpreter nor `interpreter` in pyproject.toml names one, so that the
 * code runs where the user's other tools run it. */
export async function serverSettings(environments?: PythonEnvironments): Promise<ServerSettings> {
  const config = vscode.workspace.getConfiguration(SECTION, workspaceResource());
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const inspected = config.inspect(key);
    const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  if (settings.interpreter) {
    return { settings, interpreterOrigin: "the lesson-lsp.interpreter setting" };
  }
  delete settings.interpreter; // empty: as if unset
  const python = await activeInterpreter(environments);
  if (python) {
    settings.editorInterpreter = python;
    return { settings, interpreterOrigin: "the Python extension's selected environment" };
  }
  return { settings, interpreterOrigin: "not set: the server picks (see its log)" };
}
