"""User-facing errors: raised anywhere, printed by the CLI as one line on stderr (no traceback)."""


class CoachError(Exception):
    """Something the user can fix. The message says what to change."""


class UnknownQuestion(CoachError):
    """A question id that no rubric or indexed record has (its source was removed, or the id is wrong)."""
