// How to start lesson-lsp: the lesson-lsp.path setting, the lesson-lsp.serverInterpreter setting,
// the Python extension's selected environment (if lesson-lsp is installed there), or
// `lesson-lsp` on PATH, in that order. A setting the user gave is used or reported, never
// skipped; the Python extension's environment is skipped when lesson-lsp is not in it.
import { execFile } from "child_process";
import { homedir } from "os";
import * as vscode from "vscode";
import { activeInterpreter, PythonEnvironments } from "./python";
import { SECTION } from "./settings";

export interface ServerCommand {
  command: string;
  args: string[];
  origin: string;
}

export interface FoundServer {
  /** The command that answered `--version`, if any. */
  server?: ServerCommand;
  /** Every command tried, in order (for the message when none answered). */
  tried: ServerCommand[];
}

const MODULE = ["-m", "lesson_lsp.cli", "serve"];

/** A path from a setting, with a leading ~ for the home folder. */
function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") || path.startsWith("~\\")
    ? homedir() + path.slice(1) : path;
}

export async function findServer(environments?: PythonEnvironments): Promise<FoundServer> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const tried: ServerCommand[] = [];
  const attempt = async (server: ServerCommand): Promise<FoundServer | undefined> => {
    tried.push(server);
    return (await probe(server)) ? { server, tried } : undefined;
  };
  const path = expandHome(config.get<string>("path", ""));
  if (path) {
    return (await attempt({ command: path, args: ["serve"], origin: "the lesson-lsp.path setting" }))
      ?? { tried };
  }
  const serverInterpreter = expandHome(config.get<string>("serverInterpreter", ""));
  if (serverInterpreter) {
    return (await attempt({
      command: serverInterpreter, args: MODULE, origin: "the lesson-lsp.serverInterpreter setting",
    })) ?? { tried };
  }
  const python = await activeInterpreter(environments);
  if (python) {
    const found = await attempt({
      command: python, args: MODULE, origin: "the Python extension's selected environment",
    });
    if (found) {
      return found;
    }
  }
  return (await attempt({ command: "lesson-lsp", args: ["serve"], origin: "PATH" })) ?? { tried };
}

/** Does the command answer `--version`? */
export function probe(server: ServerCommand): Promise<boolean> {
  const args = server.args[0] === "-m" ? ["-m", "lesson_lsp.cli", "--version"] : ["--version"];
  return new Promise((resolve) => {
    execFile(server.command, args, { timeout: 20000 }, (error) => resolve(!error));
  });
}
