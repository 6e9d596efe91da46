"""Execute: the only stage that changes things outside planner's own files (Docker builds and runs)."""
