"""HTML report rendering (templates and typed contexts)."""
