"""`python -m lesson_lsp.cli`, as the `lesson-lsp` script."""

import sys

from lesson_lsp.cli.main import main

sys.exit(main())
