"""What /ready reports: whether this process may post now, and each account's state and reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from xbot.config import Settings
from xbot.domain.account_state import overall_posting_allowed
from xbot.domain.intake import IntakeMode, intake_status
from xbot.domain.policy import GeneratorKind, PlatformName, XTier, policy_summary
from xbot.domain.readiness import posting_blockers, posting_notes
from xbot.jobs.account_states import read_account_states
from xbot.jobs.base import Account, WorkerIdentity
from xbot.redact import redact_url
from xbot.store.engine import translated_errors
from xbot.store.queries import controls, deployments, intake, labels
from xbot.store.queries.common import database_now
from xbot.store.sql import SqlStore

#: the /ready reason when accounts exist and none of them may post now (each says why)
NO_ACCOUNT_POSTING = "no_account_posting"


@dataclass(frozen=True, kw_only=True, slots=True)
class Readiness:
    """Reads one serving process's posting state from the database, for /ready and the watchdog."""

    settings: Settings
    engine: Engine
    role: str
    worker: WorkerIdentity
    #: the jobs this process runs
    jobs: tuple[str, ...]

    def report(self, accounts: Sequence[Account]) -> dict[str, Any]:
        """Return the JSON that /ready serves."""
        posting = self.posting_state(accounts)
        with translated_errors(), self.engine.connect() as connection:
            checked = labels.newest_label_checks(connection)
            streams = intake.health(connection)
            now = database_now(connection)
        return {
            "role": self.role,
            "worker_id": self.worker.worker_id,
            "git_sha": self.worker.git_sha,
            "sha_source": self.worker.sha_source,
            "database": redact_url(self.settings.database_url),
            "jobs": [] if self.role == "web" else list(self.jobs),
            **posting,
            "accounts": [
                {
                    **self._account_policy(account),
                    **state,
                    "label": labels.label_summary(checked.get(account.account_id)),
                    "intake": intake_status(
                        IntakeMode(account.settings.intake),
                        [row for row in streams if row.account_id == account.account_id],
                        now,
                    ),
                }
                for account, state in zip(accounts, posting["accounts"], strict=True)
            ],
        }

    def posting_state(self, accounts: Sequence[Account]) -> Mapping[str, Any]:
        """Whether this process may post now and each account's state, with the reasons."""
        with translated_errors(), self.engine.connect() as connection:
            deployment = deployments.active_deployment(connection)
            switch = controls.kill_switch(connection)
            declared = deployment.sha if deployment else None
            required = self.settings.require_deploy_mark
            now = database_now(connection)
        reasons = posting_blockers(
            role=self.role,
            running_sha=self.worker.git_sha,
            declared_sha=declared,
            kill_switch_on=switch["on"],
            require_deploy_mark=required,
        )
        states = read_account_states(
            SqlStore(self.engine), accounts, self.settings,
            fence=[reason for reason in reasons if reason != "wrong_role"],
            fence_since=deployment.declared_at if deployment else None, now=now,
        )  # fmt: skip
        notes = posting_notes(declared_sha=declared, require_deploy_mark=required)
        if accounts and not reasons and not overall_posting_allowed(states):
            reasons.append(NO_ACCOUNT_POSTING)
        return {
            "posting_allowed": not reasons,
            "reasons": reasons + notes,
            "declared_sha": declared,
            "accounts": [state.as_data() for state in states],
        }

    def _account_policy(self, account: Account) -> dict[str, object]:
        """Return the platform policy in force for one account (DESIGN §9), for /ready."""
        settings = account.settings
        policy = policy_summary(
            PlatformName(account.platform), GeneratorKind(settings.generator),
            x_tier=XTier(self.settings.x.tier), opt_in_only=settings.opt_in_only,
            ai_replies_approved=self.settings.x.ai_replies_approved,
        )  # fmt: skip
        return {"handle": account.handle, **policy}
