-- :LessonOptimize, :LessonTrace and :LessonCompare, and fresh code lenses, with either set-up
-- (setup() or vim.lsp.enable("lesson_lsp")).
if vim.g.loaded_lesson_lsp then
  return
end
vim.g.loaded_lesson_lsp = true
vim.api.nvim_create_user_command("LessonOptimize", function()
  require("lesson_lsp").optimize()
end, { desc = "Optimize the function under the cursor with the lesson team" })
require("lesson_lsp").commands()
require("lesson_lsp").keep_lenses_fresh()
