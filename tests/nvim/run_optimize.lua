-- Driven by tests/test_nvim.py in a real headless Neovim: load the plugin, open a Python file,
-- list code actions, run the optimize action, and write what happened to a JSON file.
local python = os.getenv("LESSON_PY")
local file = os.getenv("LESSON_FILE")
local out = os.getenv("LESSON_OUT")
local mode = os.getenv("LESSON_MODE") or "apply"
local line = tonumber(os.getenv("LESSON_LINE") or "7")

local result = { messages = {}, progress = {}, log = {} }
local function finish()
  local handle = assert(io.open(out, "w"))
  handle:write(vim.json.encode(result))
  handle:close()
  vim.cmd("qall!")
end

vim.notify = function(msg, level)
  table.insert(result.messages, msg)
end

local log_message = vim.lsp.handlers["window/logMessage"]
vim.lsp.handlers["window/logMessage"] = function(err, params, ctx, config)
  table.insert(result.log, (params or {}).message or "")
  return log_message(err, params, ctx, config)
end

vim.cmd("filetype on")
local settings = os.getenv("LESSON_SETTINGS")
require("lesson_lsp").setup({
  cmd = { python, "-m", "lesson_lsp.cli", "serve" },
  settings = settings and vim.json.decode(settings) or nil,
})
vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(args)
    local value = ((args.data or {}).params or {}).value or {}
    table.insert(result.progress, value.kind or "?")
  end,
})
vim.cmd.edit(file)
local ok = vim.wait(20000, function()
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ name = "lesson-lsp" })
    or vim.lsp.get_active_clients({ name = "lesson-lsp" })
  return #clients > 0 and clients[1].initialized
end, 50)
result.attached = ok

vim.api.nvim_win_set_cursor(0, { line, 4 })
local params = vim.lsp.util.make_range_params(0, "utf-16")
params.context = { diagnostics = {} }
local responses = vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 10000) or {}
result.actions = {}
for _, response in pairs(responses) do
  for _, action in ipairs(response.result or {}) do
    table.insert(result.actions, action.title)
  end
end
vim.api.nvim_win_set_cursor(0, { 1, 0 })
local outside = vim.lsp.buf_request_sync(0, "textDocument/codeAction",
  vim.tbl_extend("force", vim.lsp.util.make_range_params(0, "utf-16"),
    { context = { diagnostics = {} } }), 10000) or {}
result.actions_outside = 0
for _, response in pairs(outside) do
  result.actions_outside = result.actions_outside + #(response.result or {})
end

vim.api.nvim_win_set_cursor(0, { line, 4 })
vim.cmd("LessonOptimize")
if mode == "stale" then
  -- The user types while the team works: the edit must not land.
  vim.wait(2000, function() return false end, 50)
  vim.api.nvim_buf_set_lines(0, -1, -1, false, { "# typed during the run" })
end
local function text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
end
vim.wait(180000, function()
  for _, kind in ipairs(result.progress) do
    if kind == "end" then
      return true
    end
  end
  return false
end, 100)
vim.wait(3000, function() return text():find("functools.cache", 1, true) ~= nil end, 50)
result.buffer = text()

vim.api.nvim_win_set_cursor(0, { line, 4 })
local hovers = vim.lsp.buf_request_sync(0, "textDocument/hover",
  vim.lsp.util.make_position_params(0, "utf-16"), 10000) or {}
result.hover = ""
for _, response in pairs(hovers) do
  if response.result and response.result.contents then
    result.hover = response.result.contents.value or ""
  end
end
finish()
