"""The refusals of the KPI workflow. Each message tells the user why, in Vietnamese; pages show it as it is."""


class WorkflowError(Exception):
    """A refused operation; the message tells the user why, in Vietnamese."""


class ConflictError(WorkflowError):
    """Someone else saved first, or is working on the card right now."""


class PermissionDenied(WorkflowError):
    pass
