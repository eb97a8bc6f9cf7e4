"""Python source text: finding a function with tree-sitter (`extract`), LSP positions
(`positions`), a candidate at column 0 (`candidate`), the final module text and its edit
(`edits`), a file read and written byte for byte (`sourcefile`) and a function's identity
(`fingerprint`). Imports nothing else of lesson_lsp."""
