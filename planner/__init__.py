"""planner: audit a vSphere estate and plan its move to containers."""

__version__ = "0.1.0"
