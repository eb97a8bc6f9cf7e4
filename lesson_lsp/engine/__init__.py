"""One optimization run, shared by both front doors: inputs → baseline → team rounds → plan →
verify, and the words of its result (`optimize`, `messages`)."""
