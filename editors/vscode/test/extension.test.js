// The manifest, and activation against a stand-in `vscode` module (no VS Code binary needed):
// commands registered, the server found and started with the right command and settings, and
// a clear message when the server is missing. LESSON_PY names a Python with lesson-lsp.
const test = require("node:test");
const assert = require("node:assert");
const Module = require("node:module");
const path = require("node:path");
const manifest = require("../package.json");

function fakeVscode(settings) {
  const calls = { commands: [], errors: [], channels: [], infos: [] };
  const vscode = {
    calls,
    workspace: {
      getConfiguration: () => ({
        get: (key, fallback) => (key in settings ? settings[key] : fallback),
        inspect: (key) => (key in settings ? { globalValue: settings[key] } : undefined),
      }),
    },
    window: {
      createOutputChannel: (name) => {
        calls.channels.push(name);
        return { appendLine: () => {}, dispose: () => {} };
      },
      showErrorMessage: (message) => calls.errors.push(message),
      showInformationMessage: (message) => calls.infos.push(message),
      activeTextEditor: undefined,
    },
    commands: {
      registerCommand: (name) => {
        calls.commands.push(name);
        return { dispose: () => {} };
      },
      executeCommand: async () => [],
    },
    extensions: { getExtension: () => undefined },
    CodeActionKind: { RefactorRewrite: { value: "refactor.rewrite" } },
  };
  return vscode;
}

function load(settings) {
  const vscode = fakeVscode(settings);
  const started = [];
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions });
      started.push(this);
    }
    async start() { this.running = true; }
    async stop() { this.running = false; }
  }
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") return { LanguageClient };
    return original.call(this, request, parent, isMain);
  };
  const file = path.join(__dirname, "..", "out", "extension.js");
  delete require.cache[require.resolve(file)];
  for (const key of Object.keys(require.cache)) {
    if (key.includes(path.join("vscode", "out"))) delete require.cache[key];
  }
  try {
    return { extension: require(file), vscode, started };
  } finally {
    Module._load = original;
  }
}

const context = () => ({ subscriptions: [] });

test("the manifest mirrors the server's settings and offers the command", () => {
  assert.deepStrictEqual(manifest.activationEvents, ["onLanguage:python"]);
  const titles = manifest.contributes.commands.map((c) => c.title);
  assert.ok(titles.includes("Lesson team: optimize function at cursor"));
  const keys = Object.keys(manifest.contributes.configuration.properties);
  for (const key of ["path", "interpreter", "rounds", "timeBudgetS", "tokenBudget",
    "lessonsPerPrompt", "restartFrom", "preset", "bank", "team", "harness", "inputs"]) {
    assert.ok(keys.includes(`lesson-lsp.${key}`), key);
  }
  assert.strictEqual(manifest.main, "./out/extension.js");
});

test("activation starts the server from the configured interpreter with the settings", async () => {
  const python = process.env.LESSON_PY;
  assert.ok(python, "LESSON_PY must name a Python with lesson-lsp installed");
  const { extension, vscode, started } = load({ interpreter: python, rounds: 2 });
  await extension.activate(context());
  assert.deepStrictEqual(vscode.calls.commands.sort(),
    ["lesson-lsp.optimizeAtCursor", "lesson-lsp.restart"]);
  assert.deepStrictEqual(vscode.calls.channels, ["Lesson team"]);
  assert.deepStrictEqual(vscode.calls.errors, []);
  assert.strictEqual(started.length, 1);
  const client = started[0];
  assert.strictEqual(client.serverOptions.command, python);
  assert.deepStrictEqual(client.serverOptions.args, ["-m", "lesson_lsp.cli", "serve", "--stdio"]);
  assert.deepStrictEqual(client.clientOptions.documentSelector,
    [{ scheme: "file", language: "python" }]);
  assert.deepStrictEqual(client.clientOptions.initializationOptions, { rounds: 2 });
  assert.ok(client.running);
});

test("a missing server is one clear message, not a crash", async () => {
  const { extension, vscode, started } = load({ interpreter: "/nonexistent/python3" });
  await extension.activate(context());
  assert.strictEqual(started.length, 0);
  assert.strictEqual(vscode.calls.errors.length, 1);
  assert.match(vscode.calls.errors[0], /pip install lesson-lsp/);
});
