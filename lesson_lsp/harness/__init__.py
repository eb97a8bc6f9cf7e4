"""The local profiling harness: sandboxed runs, equivalence, timing and profiles.

Kept import-light: `worker` runs inside the sandbox and must start fast.
"""
