-- lesson-lsp for Neovim 0.8+: starts `lesson-lsp serve` for Python buffers and adds
-- :LessonOptimize. The server does all the work; this only wires it in.
local M = {}

M.defaults = {
  cmd = { "lesson-lsp", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.cfg", "setup.py", ".git" },
  settings = {}, -- the keys of [tool.lesson-lsp], e.g. { rounds = 2, interpreter = ".venv" }
}
M.config = vim.deepcopy(M.defaults)

M.TITLE = "Optimize with lesson team"

local function root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local found = vim.fs.find(M.config.root_markers, { upward = true, path = vim.fs.dirname(name) })[1]
  return found and vim.fs.dirname(found) or vim.fs.dirname(name)
end

--- Attach the server to a buffer (used by the FileType autocmd).
function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return vim.lsp.start({
    name = "lesson-lsp",
    cmd = M.config.cmd,
    root_dir = root_dir(bufnr),
    init_options = M.config.settings,
    settings = { ["lesson-lsp"] = M.config.settings },
  }, { bufnr = bufnr })
end

--- Run "Optimize with lesson team" on the function under the cursor.
function M.optimize()
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title == M.TITLE
    end,
  })
end

local function show_progress(args)
  local data = args.data or {}
  local value = (data.params or {}).value or {}
  local client = vim.lsp.get_client_by_id(data.client_id or -1)
  if not client or client.name ~= "lesson-lsp" or not value.kind then
    return
  end
  local text = value.message or value.title or ""
  if value.kind == "end" then
    text = "lesson team: " .. (value.message or "done")
  end
  vim.api.nvim_echo({ { text } }, false, {})
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  local group = vim.api.nvim_create_augroup("lesson_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.start(args.buf)
    end,
  })
  if vim.fn.has("nvim-0.10") == 1 then
    vim.api.nvim_create_autocmd("LspProgress", { group = group, callback = show_progress })
  end
  vim.api.nvim_create_user_command("LessonOptimize", M.optimize,
    { desc = "Optimize the function under the cursor with the lesson team" })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
      M.start(buf)
    end
  end
end

return M
