-- Neovim 0.11+: `vim.lsp.enable("lesson_lsp")` with this directory on the runtime path.
return {
  cmd = { "lesson-lsp", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.cfg", "setup.py", ".git" },
  init_options = {},
}
