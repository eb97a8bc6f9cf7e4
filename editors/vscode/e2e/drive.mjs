// Drives a real VS Code (code-server, already serving the project) in headless Chromium, as a
// user would, and writes what it saw to a JSON file; tests/test_vscode_e2e.py starts code-server,
// runs this, then checks the files and the observations independently.
//
//   node drive.mjs --url http://127.0.0.1:PORT/?folder=DIR --folder DIR --shots DIR --out result.json
//
// The project (made by the test): slow.py (fib, inputs named in pyproject.toml), crlf.py (CRLF
// line endings, non-ASCII text before and inside `tri`), work.py + run.py (a workload).
// Each step leaves a screenshot NN-step.png in --shots; a failure leaves failure.png too.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
  (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const { url, folder, shots, out } = args;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const RUN_TIMEOUT = Number(process.env.LESSON_E2E_RUN_TIMEOUT_S || 180) * 1000;
const result = { steps: [], notifications: [], progress: [], statusbar: [] };
const started = Date.now();
const seconds = () => Math.round((Date.now() - started) / 100) / 10;
const save = () => fs.writeFileSync(out, JSON.stringify(result, null, 2));

fs.mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage"],
});
const origin = new URL(url).origin;
const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
const page = await context.newPage();
page.setDefaultTimeout(30_000);

let shot = 0;
/** A screenshot for this step, and the step in the result. */
async function step(name, detail = {}) {
  shot += 1;
  const file = `${String(shot).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: path.join(shots, file) });
  result.steps.push({ name, file, at_s: seconds(), ...detail });
  save();
  console.log(`${seconds()} s  ${file}`);
}

/** Notification toasts and the status bar's progress, recorded while `until` is awaited. */
async function watch(until, timeout = RUN_TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const text of await page.locator(".notifications-toasts .notification-toast")
      .allInnerTexts()) {
      const line = text.replace(/\s+/g, " ").trim();
      if (line && !result.notifications.includes(line)) {
        result.notifications.push(line);
      }
    }
    const progress = await page.locator(".notifications-toasts .notification-toast")
      .filter({ has: page.locator(".monaco-progress-container.active, .progress-bit") })
      .allInnerTexts();
    for (const text of progress) {
      const line = text.replace(/\s+/g, " ").trim();
      if (!result.progress.includes(line)) {
        result.progress.push(line);
      }
    }
    const status = (await page.locator(".statusbar").innerText().catch(() => ""))
      .split("\n").filter((t) => t.includes("Lesson team"));
    for (const text of status) {
      if (!result.statusbar.includes(text.trim())) {
        result.statusbar.push(text.trim());
      }
    }
    const value = await until();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${until.description ?? until}`);
    }
    await page.waitForTimeout(250);
  }
}

const editor = () => page.locator(".editor-group-container.active .monaco-editor").first();
const line = (text) => editor().locator(".view-line", { hasText: text }).first();

async function openFile(name) {
  await page.getByRole("treeitem", { name }).dblclick();
  await page.locator(".tab.active", { hasText: name }).waitFor();
  await editor().locator(".view-lines").waitFor();
}

/** The whole text of the active editor, as VS Code copies it (select all, copy). */
async function editorText() {
  await editor().locator(".view-lines").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Control+C");
  await page.waitForTimeout(300);
  const text = await page.evaluate(() => navigator.clipboard.readText());
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Home"); // back to the top, where the functions are
  return text;
}

/** Click a menu row as a user does: move onto it first (VS Code blocks the pointer until the
 * mouse moves after a menu opens). */
async function pick(row) {
  await row.waitFor();
  const box = await row.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
  await page.waitForTimeout(200);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** Cursor on `cursorText`'s line, light bulb, "Optimize with lesson team"; wait for the edit. */
async function optimizeWithLightBulb(key, file, cursorText, editedWhen) {
  await line(cursorText).click();
  const bulb = page.locator(".contentWidgets .lightBulbWidget, .lightBulbWidget").first();
  await bulb.waitFor({ state: "visible", timeout: 90_000 });
  await step(`${key}-cursor-and-light-bulb`);
  await bulb.click();
  const menu = page.locator(".action-widget");
  await menu.waitFor();
  result[key] = { actions: (await menu.locator(".monaco-list-row.action").allInnerTexts())
    .map((t) => t.trim()) };
  await step(`${key}-code-action-menu`, { actions: result[key].actions });
  await pick(menu.locator(".monaco-list-row.action", { hasText: "Optimize with lesson team" }));
  const before = result.progress.length;
  // The progress while the team works: a notification with its message.
  const progressed = async () => result.progress.length > before;
  progressed.description = "the progress notification";
  await watch(progressed, 60_000);
  await step(`${key}-progress`, { progress: result.progress.slice(before) });
  const edited = async () => (await editor().locator(".view-lines").innerText()).includes(editedWhen);
  edited.description = `the edit (${editedWhen})`;
  await watch(edited);
  await page.waitForTimeout(500);
  await step(`${key}-edited`);
  result[key].editor_text = await editorText();
  // Seen in code-server 4.96: the file already holds the edit when it lands (VS Code saved it;
  // Neovim leaves the buffer modified). Recorded, and saved as a user would either way.
  result[key].disk_before_save = fs.readFileSync(path.join(folder, file), "utf8");
  await page.keyboard.press("Control+S");
  const saved = async () => fs.readFileSync(path.join(folder, file), "utf8")
    .replace(/\r\n/g, "\n") === result[key].editor_text.replace(/\r\n/g, "\n");
  saved.description = "the save";
  await watch(saved, 15_000);
  await step(`${key}-saved`);
  save();
}

/** Hover over `word` in the line containing `lineText`; the hover's text. */
async function hover(key, lineText, word) {
  await page.keyboard.press("Escape");
  // Where `word` is drawn in that line, whatever spans the tokenizer split the line into.
  const box = await line(lineText).evaluate((element, word) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent.indexOf(word);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + word.length);
        const { x, y, width, height } = range.getBoundingClientRect();
        return { x, y, width, height };
      }
    }
    return null;
  }, word);
  if (!box) {
    throw new Error(`no "${word}" drawn in the line with "${lineText}"`);
  }
  await page.mouse.move(box.x + 2, box.y + box.height / 2, { steps: 3 });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 3 });
  const widget = page.locator(".monaco-hover:not(.hidden) .monaco-hover-content, " +
    ".monaco-resizable-hover .monaco-hover-content").first();
  await widget.waitFor({ state: "visible", timeout: 30_000 });
  const shown = async () => /faster|lesson/i.test(await widget.innerText());
  shown.description = "the hover's result";
  await watch(shown, 30_000);
  result[key].hover = await widget.innerText();
  result[key].hover_paragraphs = await widget.locator("p, li").allInnerTexts();
  await step(`${key}-hover`);
  await page.mouse.move(5, 450);
  await page.keyboard.press("Escape");
  save();
}

async function command(title) {
  await page.keyboard.press("Control+Shift+P");
  const input = page.locator(".quick-input-widget input.input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await pick(page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first());
}

try {
  await page.goto(url);
  await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
  await page.getByRole("treeitem", { name: "slow.py" }).waitFor({ timeout: 90_000 });
  await step("workbench");

  // 1. fib: the light bulb's action, the edit, the saved file, the hover.
  await openFile("slow.py");
  await optimizeWithLightBulb("fib", "slow.py", "return n", "functools");
  await hover("fib", "def fib(", "fib");

  // 2. tri in a CRLF file with non-ASCII text: VS Code's UTF-16 columns.
  await openFile("crlf.py");
  await optimizeWithLightBulb("tri", "crlf.py", "return 1", "functools");
  await hover("tri", "def tri(", "tri");

  // 3. The trace command, then the code lens on the workload's hot function.
  await openFile("work.py");
  await command("Lesson team: trace workload");
  const box = page.locator(".quick-input-widget input.input");
  await box.waitFor();
  result.trace = { prefilled: await box.inputValue() };
  await box.fill("python run.py");
  await step("trace-command-line");
  await page.keyboard.press("Enter");
  const lens = editor().locator(".codelens-decoration a", { hasText: "of workload" }).first();
  const lensShown = async () => (await lens.count()) > 0;
  lensShown.description = "the code lens after the trace";
  await watch(lensShown);
  result.trace.lenses = await editor().locator(".codelens-decoration").allInnerTexts();
  await step("trace-code-lens", { lenses: result.trace.lenses });
  result.ways = {};
  await pick(lens);
  const edited = async () => (await editor().locator(".view-lines").innerText()).includes("functools");
  edited.description = "the edit from the code lens";
  await watch(edited);
  await page.waitForTimeout(500);
  result.ways.editor_text = await editorText();
  await page.keyboard.press("Control+S");
  await page.waitForTimeout(1000);
  await step("lens-edited-and-saved");
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.error = String(error?.stack ?? error);
  try {
    await page.screenshot({ path: path.join(shots, "failure.png") });
    result.steps.push({ name: "failure", file: "failure.png", at_s: seconds() });
  } catch { /* the page is gone */ }
} finally {
  result.wall_s = seconds();
  save();
  await browser.close();
}
process.exit(result.ok ? 0 : 1);
