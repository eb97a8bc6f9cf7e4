-- Driven by tests/test_nvim.py in a real headless Neovim: load the plugin, open a Python file
-- whose project has a saved trace, run :LessonCompare 1, wait for the server's result, and
-- write what happened (messages, progress) to a JSON file.
local python = os.getenv("LESSON_PY")
local file = os.getenv("LESSON_FILE")
local out = os.getenv("LESSON_OUT")

local result = { messages = {}, progress = {} }
vim.notify = function(msg)
  table.insert(result.messages, msg)
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
result.attached = vim.wait(20000, function()
  local clients = vim.lsp.get_clients({ name = "lesson-lsp" })
  return #clients > 0 and clients[1].initialized
end, 50)

vim.cmd("LessonCompare 1")
vim.wait(120000, function()
  for _, message in ipairs(result.messages) do
    if message:find("before/after", 1, true) or message:find("compar", 1, true) then
      return true
    end
  end
  return false
end, 100)
local handle = assert(io.open(out, "w"))
handle:write(vim.json.encode(result))
handle:close()
vim.cmd("qall!")
