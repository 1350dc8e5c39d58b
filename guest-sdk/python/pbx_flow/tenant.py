"""The tenant's data: schedules, holiday calendars, incident flags, the
key-value store and the directory, as generated (they are plain enough)."""

from wit_world.imports import directory, holidays, incidents, kv, schedule

__all__ = ["directory", "holidays", "incidents", "kv", "schedule"]
