-- Neovim 0.11+: `vim.lsp.enable("lesson_lsp")` with this directory on the runtime path.
local plugin = require("lesson_lsp")
return {
  cmd = { "lesson-lsp", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.cfg", "setup.py", ".git" },
  init_options = {},
  capabilities = plugin.capabilities,
  handlers = plugin.handlers,
}
