"""Turn prepared view data into files: one jinja Environment, one escaping helper per target language."""

from planner.render.env import environment, render

__all__ = ["environment", "render"]
