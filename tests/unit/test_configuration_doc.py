"""docs/configuration.md is exactly what `xbot config docs` generates from the settings model."""

from __future__ import annotations

from pathlib import Path

from xbot.config import AccountSettings, Settings
from xbot.config_docs import field_comments, render_configuration

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
REGENERATE = "run `xbot config docs --output docs/configuration.md` and commit the result"


def test_the_committed_configuration_doc_is_the_generated_one() -> None:
    assert DOC.read_text(encoding="utf-8") == render_configuration(), REGENERATE


def test_every_key_is_documented_with_its_variable() -> None:
    text = render_configuration()
    for name in Settings.model_fields:
        assert f"`{name}`" in text or f"## [{name}]" in text or name == "accounts", name
    for name in AccountSettings.model_fields:
        assert f"| `{name}` |" in text or f"## [accounts.{name}]" in text, name
    assert "| `jobs.fetch` | float | `300.0` | `XBOT_JOBS__FETCH` |" in text
    assert "`PORT`, `XBOT_PORT`" in text


def test_field_comments_are_read_from_the_source() -> None:
    comments = field_comments(Settings)
    assert comments["require_deploy_mark"].startswith("refuse every claim")
    assert "newest first" in comments["secret_key"]
    assert "port" not in comments  # a Field description only, no `#:` comment
