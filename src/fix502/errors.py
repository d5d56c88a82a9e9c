"""The exceptions fix502 raises: each carries one line a person can act on."""


class Fix502Error(Exception):
    """Base class: the message is a single line naming the file, host or field at fault."""


class UsageError(Fix502Error):
    """Bad command-line input: an unknown check, format or option value."""


class InventoryError(Fix502Error):
    """The inventory is missing, cannot be parsed, or the limit matches no host."""


class CollectionNotFoundError(Fix502Error):
    """The fix502.gateway collection (playbooks, modules) cannot be located."""


class RunError(Fix502Error):
    """ansible-runner did not complete the run."""
