"""The user's project and what lesson-lsp keeps about it: its root, module names and interpreter
(`project`), settings (`config`), the cache folder outside the project (`storage`), the bytes
`--apply` replaced (`applied`) and the last workload trace (`traces`)."""
