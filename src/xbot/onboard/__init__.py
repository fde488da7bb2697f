"""Onboarding: `xbot init`, `xbot accounts add` and `xbot config check` (issue 17)."""
