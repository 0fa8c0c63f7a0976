"""One module per CLI command group; `coach/cli.py` only wires them together."""
