"""aid package."""
