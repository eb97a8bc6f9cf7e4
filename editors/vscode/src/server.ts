// How to start lesson-lsp: the configured path, the configured interpreter, the Python
// extension's active environment, or `lesson-lsp` on PATH, in that order.
import { execFile } from "child_process";
import * as vscode from "vscode";
import { SECTION } from "./settings";

export interface ServerCommand {
  command: string;
  args: string[];
  origin: string;
}

async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension("ms-python.python");
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const environment = api?.environments?.getActiveEnvironmentPath?.();
    return environment?.path;
  } catch {
    return undefined;
  }
}

export async function findServer(): Promise<ServerCommand> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const path = config.get<string>("path", "");
  if (path) {
    return { command: path, args: ["serve"], origin: "the lesson-lsp.path setting" };
  }
  const interpreter = config.get<string>("interpreter", "") || (await pythonExtensionInterpreter());
  if (interpreter) {
    return {
      command: interpreter,
      args: ["-m", "lesson_lsp.cli", "serve"],
      origin: config.get<string>("interpreter", "") ? "the lesson-lsp.interpreter setting"
        : "the Python extension's environment",
    };
  }
  return { command: "lesson-lsp", args: ["serve"], origin: "PATH" };
}

/** Does the command answer `--version`? (Say how to install it if not.) */
export function probe(server: ServerCommand): Promise<boolean> {
  const args = server.args[0] === "-m" ? ["-m", "lesson_lsp.cli", "--version"] : ["--version"];
  return new Promise((resolve) => {
    execFile(server.command, args, { timeout: 20000 }, (error) => resolve(!error));
  });
}
