// The manifest, and activation against a stand-in `vscode` module (no VS Code binary needed):
// commands registered, the server found and started with the right command and settings, the
// project's Python passed to the server (the user's setting, else the Python extension's
// selected environment, also when it changes), and a clear message when the server is missing.
// LESSON_PY names a Python with lesson-lsp.
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const Module = require("node:module");
const os = require("node:os");
const path = require("node:path");
const manifest = require("../package.json");

const FOLDER = { uri: { fsPath: "/work/project", toString: () => "file:///work/project" },
  name: "project", index: 0 };

function emitter() {
  const listeners = [];
  const event = (listener) => {
    listeners.push(listener);
    return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
  };
  return { event, fire: (value) => listeners.slice().forEach((l) => l(value)), listeners };
}

/** The Python extension's environments API: `environments` maps a path to its executable
 * (undefined: resolveEnvironment finds nothing); `active` is the selected path. */
function fakePython(active, environments = {}) {
  const changed = emitter();
  const python = {
    active,
    asked: [],
    changed,
    select(next) {
      python.active = next;
      changed.fire({ id: next, path: next, resource: FOLDER });
    },
    api: {
      environments: {
        getActiveEnvironmentPath: (resource) => {
          python.asked.push(resource);
          return { id: python.active, path: python.active };
        },
        resolveEnvironment: async (environment) => {
          const executable = environments[environment.path ?? environment];
          return executable ? { executable: { uri: { fsPath: executable } } } : undefined;
        },
        onDidChangeActiveEnvironmentPath: changed.event,
      },
    },
  };
  return python;
}

function fakeVscode(settings, python) {
  const calls = { commands: [], errors: [], channels: [], infos: [], lines: [], handlers: {},
    executed: [], inputs: [], answers: [], progress: [] };
  const configurationChanged = emitter();
  const vscode = {
    calls,
    configurationChanged,
    workspace: {
      workspaceFolders: [FOLDER],
      getConfiguration: () => ({
        get: (key, fallback) => (key in settings ? settings[key] : fallback),
        inspect: (key) => (key in settings ? { globalValue: settings[key] } : undefined),
      }),
      onDidChangeConfiguration: configurationChanged.event,
    },
    window: {
      createOutputChannel: (name) => {
        calls.channels.push(name);
        return { appendLine: (line) => calls.lines.push(line), dispose: () => {} };
      },
      showErrorMessage: async (message) => { calls.errors.push(message); },
      showInformationMessage: async (message) => { calls.infos.push(message); },
      showInputBox: async (options) => { calls.inputs.push(options); return calls.answers.shift(); },
      activeTextEditor: undefined,
      withProgress: (options, task) => {
        const cancel = emitter();
        const shown = { options, reports: [], cancel: () => cancel.fire() };
        calls.progress.push(shown);
        shown.done = task({ report: (value) => shown.reports.push(value) },
          { onCancellationRequested: cancel.event });
        return shown.done;
      },
    },
    ProgressLocation: { Notification: 15, Window: 10 },
    commands: {
      registerCommand: (name, handler) => {
        calls.commands.push(name);
        calls.handlers[name] = handler;
        return { dispose: () => {} };
      },
      executeCommand: async (...args) => { calls.executed.push(args); return []; },
    },
    extensions: {
      getExtension: (id) => (id === "ms-python.python" && python
        ? { isActive: true, exports: python.api } : undefined),
    },
    CodeActionKind: { RefactorRewrite: { value: "refactor.rewrite" } },
  };
  return vscode;
}

const DID_CHANGE_CONFIGURATION = { method: "workspace/didChangeConfiguration" };
const PROGRESS = {
  WorkDoneProgress: { type: { method: "$/progress" } },
  WorkDoneProgressCreateRequest: { type: { method: "window/workDoneProgress/create" } },
  WorkDoneProgressCancelNotification: { type: { method: "window/workDoneProgress/cancel" } },
};

function load(settings, python) {
  const vscode = fakeVscode(settings, python);
  const started = [];
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, notifications: [] });
      started.push(this);
    }
    async start() { this.running = true; }
    async stop() { this.running = false; }
    isRunning() { return Boolean(this.running); }
    async sendNotification(type, params) { this.notifications.push({ type, params }); }
    onRequest(type, handler) {
      (this.requests ??= {})[type.method] = handler;
      return { dispose: () => {} };
    }
    onProgress(type, token, handler) {
      (this.progress ??= {})[token] = handler;
      return { dispose: () => { delete this.progress[token]; } };
    }
  }
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") {
      return { LanguageClient, DidChangeConfigurationNotification: { type: DID_CHANGE_CONFIGURATION },
        ...PROGRESS };
    }
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

function lessonPython() {
  const python = process.env.LESSON_PY;
  assert.ok(python, "LESSON_PY must name a Python with lesson-lsp installed");
  return python;
}

/** Wait for the client to have `count` notifications (they are sent from event handlers). */
async function notified(client, count) {
  for (let i = 0; i < 200 && client.notifications.length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 20)); // and no more than that
  return client.notifications;
}

test("the manifest mirrors the server's settings and offers the command", () => {
  assert.deepStrictEqual(manifest.activationEvents, ["onLanguage:python"]);
  const titles = manifest.contributes.commands.map((c) => c.title);
  assert.ok(titles.includes("Lesson team: optimize function at cursor"));
  assert.ok(titles.includes("Lesson team: trace workload"));
  assert.ok(titles.includes("Lesson team: compare workload"));
  const properties = manifest.contributes.configuration.properties;
  for (const key of ["path", "serverInterpreter", "interpreter", "rounds", "timeBudgetS",
    "tokenBudget", "lessonsPerPrompt", "restartFrom", "preset", "bank", "team", "harness",
    "inputs", "traceLensMinShare", "traceTimeoutS"]) {
    assert.ok(`lesson-lsp.${key}` in properties, key);
  }
  assert.match(properties["lesson-lsp.serverInterpreter"].description, /lesson-lsp installed/);
  assert.match(properties["lesson-lsp.interpreter"].markdownDescription, /project's Python/);
  assert.strictEqual(manifest.main, "./out/extension.js");
});

test("activation starts the server from lesson-lsp.serverInterpreter with the settings", async () => {
  const python = lessonPython();
  const { extension, vscode, started } = load({ serverInterpreter: python, rounds: 2 });
  await extension.activate(context());
  assert.deepStrictEqual(vscode.calls.commands.sort(),
    ["lesson-lsp.compareWorkload", "lesson-lsp.optimizeAtCursor", "lesson-lsp.restart",
      "lesson-lsp.traceWorkload"]);
  assert.deepStrictEqual(vscode.calls.channels, ["Lesson team"]);
  assert.deepStrictEqual(vscode.calls.errors, []);
  assert.strictEqual(started.length, 1);
  const client = started[0];
  assert.strictEqual(client.serverOptions.command, python);
  assert.deepStrictEqual(client.serverOptions.args, ["-m", "lesson_lsp.cli", "serve", "--stdio"]);
  assert.deepStrictEqual(client.clientOptions.documentSelector,
    [{ scheme: "file", language: "python" }]);
  // The launcher is not a server setting, and without the Python extension nor the setting
  // the server picks the project's Python itself.
  assert.deepStrictEqual(client.clientOptions.initializationOptions, { rounds: 2 });
  assert.ok(vscode.calls.lines.some((l) => l.includes("lesson-lsp.serverInterpreter setting")));
  assert.ok(client.running);
});

test("a leading ~ in lesson-lsp.serverInterpreter is the home folder",
  { skip: process.platform === "win32" }, async () => {
    const python = lessonPython();
    const saved = process.env.HOME;
    process.env.HOME = path.dirname(path.dirname(python));
    try {
      const relative = `~/${path.basename(path.dirname(python))}/${path.basename(python)}`;
      const { extension, vscode, started } = load({ serverInterpreter: relative });
      await extension.activate(context());
      assert.deepStrictEqual(vscode.calls.errors, []);
      assert.strictEqual(started[0].serverOptions.command, python);
    } finally {
      process.env.HOME = saved;
    }
  });

test("the user's lesson-lsp.interpreter is the project's Python, passed to the server", async () => {
  const python = lessonPython();
  const selected = fakePython("/envs/selected", { "/envs/selected": "/envs/selected/bin/python" });
  const { extension, vscode, started } = load(
    { serverInterpreter: python, interpreter: "/work/project/.venv", rounds: 2 }, selected);
  await extension.activate(context());
  assert.strictEqual(started.length, 1);
  const client = started[0];
  assert.strictEqual(client.serverOptions.command, python); // it does not start the server
  assert.deepStrictEqual(client.clientOptions.initializationOptions,
    { rounds: 2, interpreter: "/work/project/.venv" });
  assert.ok(vscode.calls.lines.some((l) => l.includes("/work/project/.venv") &&
    l.includes("lesson-lsp.interpreter setting")), vscode.calls.lines.join("\n"));
  // The user's setting wins over the Python extension's selection, also when that changes.
  selected.select("/envs/other");
  assert.deepStrictEqual(await notified(client, 1), []);
});

test("without lesson-lsp.interpreter, the Python extension's selected environment is passed",
  async () => {
    const python = lessonPython();
    const selected = fakePython("/envs/project", { "/envs/project": "/envs/project/bin/python3" });
    const { extension, vscode, started } = load(
      { serverInterpreter: python, interpreter: "", rounds: 2 }, selected);
    await extension.activate(context());
    assert.strictEqual(started.length, 1);
    assert.deepStrictEqual(started[0].clientOptions.initializationOptions,
      { rounds: 2, editorInterpreter: "/envs/project/bin/python3" });
    assert.ok(selected.asked.includes(FOLDER.uri), "asked for the workspace's environment");
    assert.ok(vscode.calls.lines.some((l) => l.includes("/envs/project/bin/python3") &&
      l.includes("Python extension's selected environment")), vscode.calls.lines.join("\n"));

    // An environment resolveEnvironment does not know is passed by its path.
    const unresolved = fakePython("/envs/conda-env");
    const again = load({ serverInterpreter: python }, unresolved);
    await again.extension.activate(context());
    assert.deepStrictEqual(again.started[0].clientOptions.initializationOptions,
      { editorInterpreter: "/envs/conda-env" });
  });

test("selecting another environment sends the server the new one", async () => {
  const python = lessonPython();
  const selected = fakePython("/envs/old", {
    "/envs/old": "/envs/old/bin/python", "/envs/new": "/envs/new/bin/python",
  });
  const { extension, vscode, started } = load({ serverInterpreter: python, rounds: 2 }, selected);
  await extension.activate(context());
  const client = started[0];
  assert.strictEqual(client.clientOptions.initializationOptions.editorInterpreter, "/envs/old/bin/python");
  assert.deepStrictEqual(client.notifications, []);
  selected.select("/envs/new");
  const notifications = await notified(client, 1);
  assert.strictEqual(notifications.length, 1);
  assert.strictEqual(notifications[0].type.method, "workspace/didChangeConfiguration");
  assert.deepStrictEqual(notifications[0].params,
    { settings: { "lesson-lsp": { rounds: 2, editorInterpreter: "/envs/new/bin/python" } } });
  assert.ok(vscode.calls.lines.some((l) => l.includes("selected environment changed") &&
    l.includes("/envs/new/bin/python")), vscode.calls.lines.join("\n"));
  selected.select("/envs/new"); // the same again: nothing new to send
  assert.strictEqual((await notified(client, 2)).length, 1);
  assert.strictEqual(started.length, 1); // no restart
});

test("a settings change sends the server settings, without the launch settings", async () => {
  const python = lessonPython();
  const settings = { serverInterpreter: python, rounds: 2 };
  const { extension, vscode, started } = load(settings);
  await extension.activate(context());
  const client = started[0];
  settings.rounds = 5;
  settings.interpreter = "/work/project/venv";
  vscode.configurationChanged.fire({ affectsConfiguration: (s) => s === "lesson-lsp" ||
    s === "lesson-lsp.rounds" || s === "lesson-lsp.interpreter" });
  const notifications = await notified(client, 1);
  assert.strictEqual(notifications.length, 1);
  assert.deepStrictEqual(notifications[0].params,
    { settings: { "lesson-lsp": { rounds: 5, interpreter: "/work/project/venv" } } });
  assert.deepStrictEqual(vscode.calls.infos, []);
  settings.serverInterpreter = "/elsewhere/python";
  vscode.configurationChanged.fire({ affectsConfiguration: (s) => s === "lesson-lsp" ||
    s === "lesson-lsp.serverInterpreter" });
  assert.strictEqual((await notified(client, 2)).length, 1);
  assert.strictEqual(vscode.calls.infos.length, 1);
  assert.match(vscode.calls.infos[0], /restart/);
});

test("the Python extension's environment starts the server when lesson-lsp is there", async () => {
  const python = lessonPython();
  const { extension, started } = load({}, fakePython(python));
  await extension.activate(context());
  assert.strictEqual(started.length, 1);
  assert.strictEqual(started[0].serverOptions.command, python);
  assert.deepStrictEqual(started[0].serverOptions.args, ["-m", "lesson_lsp.cli", "serve", "--stdio"]);
});

test("an environment without lesson-lsp is skipped for lesson-lsp on PATH",
  { skip: process.platform === "win32" }, async () => {
    const python = lessonPython();
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "lesson-path-"));
    fs.writeFileSync(path.join(bin, "lesson-lsp"),
      `#!/bin/sh\nexec ${JSON.stringify(python)} -m lesson_lsp.cli "$@"\n`, { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${saved}`;
    try {
      const { extension, vscode, started } = load({}, fakePython("/nonexistent/env/bin/python"));
      await extension.activate(context());
      assert.deepStrictEqual(vscode.calls.errors, []);
      assert.strictEqual(started.length, 1);
      assert.strictEqual(started[0].serverOptions.command, "lesson-lsp");
      assert.deepStrictEqual(started[0].serverOptions.args, ["serve", "--stdio"]);
      // The project's Python is still the selected environment.
      assert.strictEqual(started[0].clientOptions.initializationOptions.editorInterpreter,
        "/nonexistent/env/bin/python");
    } finally {
      process.env.PATH = saved;
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

test("a missing server is one clear message, not a crash", async () => {
  const { extension, vscode, started } = load({ serverInterpreter: "/nonexistent/python3" },
    fakePython(lessonPython()));
  await extension.activate(context());
  assert.strictEqual(started.length, 0);
  assert.strictEqual(vscode.calls.errors.length, 1);
  assert.match(vscode.calls.errors[0], /pip install lesson-lsp/);
  assert.match(vscode.calls.errors[0], /serverInterpreter setting: \/nonexistent\/python3/);
  // The user's setting is reported, not silently replaced by another server.
  assert.doesNotMatch(vscode.calls.errors[0], /PATH:|Python extension's selected/);
});

/** A workspace memento, as `context.workspaceState` is. */
function memento() {
  const values = new Map();
  return { get: (key) => values.get(key), update: async (key, value) => { values.set(key, value); },
    values };
}

test("trace workload asks for the command, the last one prefilled, and runs the server's trace",
  async () => {
    const { extension, vscode } = load({ serverInterpreter: lessonPython() });
    const ctx = { subscriptions: [], workspaceState: memento() };
    await extension.activate(ctx);
    const trace = vscode.calls.handlers["lesson-lsp.traceWorkload"];
    const slow = "file:///work/project/slow.py";
    vscode.window.activeTextEditor = { document: { languageId: "python",
      uri: { scheme: "file", toString: () => slow } } };
    vscode.calls.answers.push("  python run.py ");
    await trace();
    assert.deepStrictEqual(vscode.calls.executed,
      [["lesson-lsp.trace", { command: "python run.py", uri: slow }]]);
    assert.strictEqual(vscode.calls.inputs[0].value, "python -m pytest -q"); // a first guess
    // Asked again: the last command is prefilled; Escape runs nothing.
    vscode.calls.answers.push(undefined);
    await trace();
    assert.strictEqual(vscode.calls.inputs[1].value, "python run.py");
    assert.strictEqual(vscode.calls.executed.length, 1);
    // Without a Python file open, the server traces the workspace's project.
    vscode.window.activeTextEditor = undefined;
    vscode.calls.answers.push("python bench.py");
    await trace();
    assert.deepStrictEqual(vscode.calls.executed[1], ["lesson-lsp.trace", { command: "python bench.py" }]);
    assert.strictEqual(ctx.workspaceState.values.get("lesson-lsp.lastTraceCommand"), "python bench.py");
  });

test("compare workload runs the server's compare on the active Python file's project", async () => {
  const { extension, vscode } = load({ serverInterpreter: lessonPython() });
  await extension.activate({ subscriptions: [], workspaceState: memento() });
  const compare = vscode.calls.handlers["lesson-lsp.compareWorkload"];
  const slow = "file:///work/project/slow.py";
  vscode.window.activeTextEditor = { document: { languageId: "python",
    uri: { scheme: "file", toString: () => slow } } };
  await compare();
  assert.deepStrictEqual(vscode.calls.executed, [["lesson-lsp.compare", { uri: slow }]]);
  assert.deepStrictEqual(vscode.calls.inputs, []); // it asks nothing: the last trace's command
  // Without a Python file open, the server compares the workspace's project.
  vscode.window.activeTextEditor = { document: { languageId: "markdown",
    uri: { scheme: "file", toString: () => "file:///work/project/README.md" } } };
  await compare();
  assert.deepStrictEqual(vscode.calls.executed[1], ["lesson-lsp.compare", {}]);
});

test("the server's progress is a notification with a Cancel button that cancels the run",
  async () => {
    // vscode-languageclient's own handler shows it in the status bar, where VS Code has no
    // Cancel: seen in a real VS Code (tests/test_vscode_e2e.py).
    const { extension, vscode, started } = load({ serverInterpreter: lessonPython() });
    await extension.activate(context());
    const client = started[0];
    await client.requests["window/workDoneProgress/create"]({ token: "run-1" });
    client.progress["run-1"]({ kind: "begin", title: "Lesson team: fib", cancellable: true,
      percentage: 0, message: "round 0/1" });
    const [shown] = vscode.calls.progress;
    assert.deepStrictEqual(shown.options, { location: vscode.ProgressLocation.Notification,
      title: "Lesson team: fib", cancellable: true });
    client.progress["run-1"]({ kind: "report", percentage: 40, message: "round 1/1" });
    assert.deepStrictEqual(shown.reports, [{ message: "round 0/1", increment: 0 },
      { message: "round 1/1", increment: 40 }]);
    shown.cancel();
    assert.deepStrictEqual(client.notifications.at(-1),
      { type: PROGRESS.WorkDoneProgressCancelNotification.type, params: { token: "run-1" } });
    client.progress["run-1"]({ kind: "end" });
    await shown.done; // the notification closes with the run
    assert.strictEqual(client.progress["run-1"], undefined);
  });
