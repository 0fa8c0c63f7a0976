"""User-facing errors: raised anywhere, printed by the CLI as one line on stderr (no traceback)."""


class CoachError(Exception):
    """Something the user can fix. The message says what to change."""
