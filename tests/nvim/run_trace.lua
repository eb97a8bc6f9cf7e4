-- Driven by tests/test_nvim.py in a real headless Neovim: load the plugin, open a Python file
-- whose project has a saved trace, read the code lenses refreshed on attach, run :LessonTrace,
-- and write what happened to a JSON file.
local python = os.getenv("LESSON_PY")
local file = os.getenv("LESSON_FILE")
local out = os.getenv("LESSON_OUT")

local result = { messages = {}, lenses = {}, after = {} }
vim.notify = function(msg)
  table.insert(result.messages, msg)
end
local function titles()
  local found = {}
  for _, lens in ipairs(vim.lsp.codelens.get(0)) do
    table.insert(found, { line = lens.range.start.line, title = lens.command and lens.command.title,
      command = lens.command and lens.command.command })
  end
  return found
end

vim.cmd("filetype on")
require("lesson_lsp").setup({ cmd = { python, "-m", "lesson_lsp.cli", "serve" } })
vim.cmd.edit(file)
result.attached = vim.wait(20000, function()
  local clients = vim.lsp.get_clients({ name = "lesson-lsp" })
  return #clients > 0 and clients[1].initialized
end, 50)
vim.wait(10000, function() return #vim.lsp.codelens.get(0) > 0 end, 50)
result.lenses = titles()
result.refresh_support = vim.lsp.get_clients({ name = "lesson-lsp" })[1].capabilities.workspace
  .codeLens.refreshSupport

vim.cmd("LessonTrace python run.py")
vim.wait(60000, function()
  for _, message in ipairs(result.messages) do
    if message:find("race", 1, true) then
      return true
    end
  end
  return false
end, 100)
local before = vim.json.encode(result.lenses)
vim.wait(5000, function() return vim.json.encode(titles()) ~= before and #titles() > 0 end, 50)
result.after = titles()
local handle = assert(io.open(out, "w"))
handle:write(vim.json.encode(result))
handle:close()
vim.cmd("qall!")
