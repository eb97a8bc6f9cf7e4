-- lesson-lsp for Neovim 0.8+: starts `lesson-lsp serve` for Python buffers, adds :LessonOptimize,
-- :LessonTrace and :LessonCompare, and keeps the code lenses on hot functions fresh. The server
-- does all the work; this only wires it in.
local M = {}

M.defaults = {
  cmd = { "lesson-lsp", "serve" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.cfg", "setup.py", ".git" },
  settings = {}, -- the keys of [tool.lesson-lsp], e.g. { rounds = 2, interpreter = ".venv" }
}
M.config = vim.deepcopy(M.defaults)

M.TITLE = "Optimize with lesson team"
M.TRACE = "lesson-lsp.trace"
M.COMPARE = "lesson-lsp.compare"
M.NAMES = { ["lesson-lsp"] = true, lesson_lsp = true } -- setup() and vim.lsp.enable() names

--- Ask the buffer's code lenses again (lenses go stale when the code or the trace changes).
function M.refresh_lenses(bufnr)
  if vim.fn.has("nvim-0.10") == 1 then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
  else
    vim.api.nvim_buf_call(bufnr, function() vim.lsp.codelens.refresh() end)
  end
end

--- What the client adds to Neovim's defaults: the server asks for lenses again after a trace.
M.capabilities = { workspace = { codeLens = { refreshSupport = true } } }
M.handlers = {
  ["workspace/codeLens/refresh"] = function(_, _, ctx)
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.lsp.buf_is_attached(buf, ctx.client_id) then
        M.refresh_lenses(buf)
      end
    end
    return vim.NIL
  end,
}

local function lesson_client(bufnr)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr })
    or vim.lsp.get_active_clients({ bufnr = bufnr })
  for _, client in ipairs(clients) do
    if M.NAMES[client.name] then
      return client
    end
  end
end

M.last_trace = nil -- the last workload traced in this session

--- Trace the workload `command` (a command line; asked for when empty) in the buffer's project.
function M.trace(command)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = lesson_client(bufnr)
  if not client then
    vim.notify("lesson-lsp is not attached to this buffer", vim.log.levels.WARN)
    return
  end
  local function send(line)
    if not line or vim.trim(line) == "" then
      return
    end
    M.last_trace = vim.trim(line)
    local params = { command = M.TRACE,
      arguments = { { command = M.last_trace, uri = vim.uri_from_bufnr(bufnr) } } }
    local function done(err)
      if err then
        vim.notify("lesson team: trace: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      end
      M.refresh_lenses(bufnr) -- also for a server that could not ask for it
    end
    if vim.fn.has("nvim-0.11") == 1 then
      client:request("workspace/executeCommand", params, done, bufnr)
    else
      client.request("workspace/executeCommand", params, done, bufnr)
    end
  end
  if command and vim.trim(command) ~= "" then
    send(command)
  else
    vim.ui.input({ prompt = "Workload to trace: ", default = M.last_trace or "python -m pytest -q" },
      send)
  end
end

--- Run the buffer's project's last traced workload on the code before the edits and as it is
--- now, `runs` times each (default 5): the server shows the progress and the result (the
--- ratio with its interval, and whether the output stayed the same).
function M.compare(runs)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = lesson_client(bufnr)
  if not client then
    vim.notify("lesson-lsp is not attached to this buffer", vim.log.levels.WARN)
    return
  end
  local argument = { uri = vim.uri_from_bufnr(bufnr) }
  if runs and tonumber(runs) then
    argument.runs = math.floor(tonumber(runs))
  end
  local params = { command = M.COMPARE, arguments = { argument } }
  local function done(err)
    if err then
      vim.notify("lesson team: compare: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
  end
  if vim.fn.has("nvim-0.11") == 1 then
    client:request("workspace/executeCommand", params, done, bufnr)
  else
    client.request("workspace/executeCommand", params, done, bufnr)
  end
end

function M.commands()
  vim.api.nvim_create_user_command("LessonTrace", function(opts) M.trace(opts.args) end,
    { nargs = "*", desc = "Trace a workload (:LessonTrace python run.py): lenses on hot functions" })
  vim.api.nvim_create_user_command("LessonCompare", function(opts) M.compare(opts.args) end,
    { nargs = "?", desc = "Run the last traced workload before and after the edits (:LessonCompare [RUNS])" })
end

--- On attach, BufEnter and InsertLeave of the server's buffers: their code lenses again.
function M.keep_lenses_fresh()
  local group = vim.api.nvim_create_augroup("lesson_lsp_lenses", { clear = true })
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id((args.data or {}).client_id or -1)
      if not client or not M.NAMES[client.name] then
        return
      end
      M.refresh_lenses(args.buf)
      vim.api.nvim_clear_autocmds({ group = group, buffer = args.buf })
      vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave" }, {
        group = group,
        buffer = args.buf,
        callback = function(event) M.refresh_lenses(event.buf) end,
      })
    end,
  })
end

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
    capabilities = vim.tbl_deep_extend("force", vim.lsp.protocol.make_client_capabilities(),
      M.capabilities),
    handlers = M.handlers,
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
  M.commands()
  M.keep_lenses_fresh()
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(M.config.filetypes, vim.bo[buf].filetype) then
      M.start(buf)
    end
  end
end

return M
