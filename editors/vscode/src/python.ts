// The Python extension (ms-python.python), if installed: the environment the user selected for
// the workspace, and word when they select another. Only the parts of its API we use.
import * as vscode from "vscode";

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: { fsPath: string } };
}

export interface PythonEnvironments {
  getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
  resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
  onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

/** The Python extension's environments API, activating the extension if needed. */
export async function pythonEnvironments(): Promise<PythonEnvironments | undefined> {
  const extension = vscode.extensions.getExtension("ms-python.python");
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api?.environments?.getActiveEnvironmentPath ? api.environments : undefined;
  } catch {
    return undefined;
  }
}

/** The workspace the environment is selected for: the first folder (one server serves all). */
export function workspaceResource(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** The selected environment's python executable, else its path (a folder for some kinds). */
export async function activeInterpreter(
  environments: PythonEnvironments | undefined,
): Promise<string | undefined> {
  if (!environments) {
    return undefined;
  }
  try {
    const active = environments.getActiveEnvironmentPath(workspaceResource());
    if (!active?.path) {
      return undefined;
    }
    try {
      const resolved = await environments.resolveEnvironment(active);
      const executable = resolved?.executable?.uri?.fsPath;
      if (executable) {
        return executable;
      }
    } catch {
      // Not resolvable (yet): the path is still the user's choice.
    }
    return active.path;
  } catch {
    return undefined;
  }
}
