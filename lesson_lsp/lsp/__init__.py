"""The language server: one front door. pygls handlers, the commands the editors run (optimize,
trace, compare) with cancellable progress, hover and code lenses, and the per-document state
that makes a code action a lookup. It calls the engine (`engine/`, `tracing/`,
`workload_compare/`) and never the command line."""
