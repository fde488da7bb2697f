"""The fake OpenAI-compatible chat endpoint (`api.create_app`), honest or hostile by mode."""
