"""Classifying the account's own posts (xbot.domain.ghosts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from xbot.domain.ghosts import (
    BeforeXbot,
    Explained,
    Ghost,
    GhostClassification,
    InFlight,
    Known,
    Reconcile,
    classify_post,
    find_own_post,
    newest_settled_post_id,
    normalized_text,
    read_back_covers,
)
from xbot.domain.permits import Permit, PermitId, PermitReply, PermitStatus
from xbot.domain.posts import Post, PostId

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def post(post_id: str, text: str, reply_to: str | None = "100", minutes_ago: int = 1) -> Post:
    return Post(
        post_id=PostId(post_id),
        author_id="1",
        author_handle="bot",
        text=text,
        created_at=NOW - timedelta(minutes=minutes_ago),
        in_reply_to_post_id=reply_to,
    )


def reply(
    status: PermitStatus,
    *,
    lease_until: datetime | None = None,
    attempts: int = 1,
    target: str = "100",
    text: str = "Thanks for asking!",
) -> PermitReply:
    permit = Permit(
        permit_id=PermitId(f"pmt_{status.value.lower()}"),
        decision_id="dec_1",
        account_id=1,
        status=status,
        created_at=NOW - timedelta(hours=1),
        lease_until=lease_until,
        attempts=attempts,
    )
    return PermitReply(
        permit=permit,
        candidate_id=1,
        target_post_id=target,
        target_author_handle="ann",
        reply_text=text,
    )


def known(*replies: PermitReply, used: tuple[str, ...] = (), texts: tuple[str, ...] = ()) -> Known:
    return Known(
        used_post_ids=set(used),
        open_replies=list(replies),
        decision_texts={normalized_text(text) for text in texts},
        managed_since=NOW - timedelta(days=1),
    )


def test_a_used_permit_explains_its_post() -> None:
    assert classify_post(post("9", "hi"), known(used=("9",)), NOW) == Explained(post_id="9")


def test_posts_before_xbot_managed_the_account_are_the_baseline() -> None:
    old = post("8", "my own words", reply_to=None, minutes_ago=60 * 48)
    assert classify_post(old, known(), NOW) == BeforeXbot(post_id="8")


@pytest.mark.parametrize(
    ("status", "lease", "attempts"),
    [
        (PermitStatus.UNKNOWN, None, 1),
        (PermitStatus.POSTING, NOW - timedelta(seconds=1), 1),
        (PermitStatus.PENDING, None, 1),
    ],
)
def test_a_post_of_a_permit_in_doubt_reconciles_it(
    status: PermitStatus, lease: datetime | None, attempts: int
) -> None:
    open_reply = reply(status, lease_until=lease, attempts=attempts)
    verdict = classify_post(post("9", "Thanks for asking!"), known(open_reply), NOW)
    assert verdict == Reconcile(reply=open_reply)


def test_a_post_of_a_permit_still_publishing_is_left_to_its_holder() -> None:
    live = reply(PermitStatus.POSTING, lease_until=NOW + timedelta(seconds=30))
    verdict = classify_post(post("9", "Thanks for asking!"), known(live), NOW)
    assert verdict == InFlight(permit_id=live.permit.permit_id)


def test_same_text_to_another_target_is_not_the_permits_post() -> None:
    unknown = reply(PermitStatus.UNKNOWN, target="555")
    verdict = classify_post(post("9", "Thanks for asking!"), known(unknown), NOW)
    assert verdict == Ghost(classification=GhostClassification.UNEXPLAINED)


def test_decision_text_without_a_permit_is_the_most_alarming_ghost() -> None:
    verdict = classify_post(
        post("9", "Thanks for asking!"), known(texts=("Thanks for asking!",)), NOW
    )
    assert verdict == Ghost(classification=GhostClassification.MATCHES_DECISION_TEXT)


def test_a_top_level_post_is_outside_xbot() -> None:
    verdict = classify_post(post("9", "lunch!", reply_to=None), known(), NOW)
    assert verdict == Ghost(classification=GhostClassification.OUTSIDE_XBOT)


def test_normalized_text_forgives_platform_rewrites() -> None:
    assert normalized_text("@ann @bob  Fish &amp; chips https://t.co/x1") == "Fish & chips <url>"
    assert normalized_text("Cafe\u0301") == normalized_text("Café")


def test_find_own_post_skips_taken_ids_and_prefers_the_oldest() -> None:
    unknown = reply(PermitStatus.UNKNOWN)
    first = post("10", "@ann Thanks for asking!", minutes_ago=5)
    second = post("11", "Thanks for asking!", minutes_ago=2)
    assert find_own_post(unknown, [second, first]) == first
    assert find_own_post(unknown, [second, first], taken={"10"}) == second
    assert find_own_post(unknown, [post("12", "other")]) is None


def test_read_back_covers_only_when_it_reaches_back() -> None:
    posts = [post("3", "a", minutes_ago=1), post("2", "b", minutes_ago=30)]
    assert read_back_covers(posts, limit=5, since=NOW)
    assert read_back_covers(posts, limit=2, since=NOW - timedelta(minutes=40)) is False
    assert read_back_covers(posts, limit=2, since=NOW - timedelta(minutes=20))


def test_watermark_stops_before_posts_within_the_grace() -> None:
    posts = [post("30", "a", minutes_ago=0), post("20", "b", minutes_ago=5)]
    settled = NOW - timedelta(minutes=1)
    assert newest_settled_post_id(posts, settled, "10") == "20"
    assert newest_settled_post_id(posts[:1], settled, "10") == "10"
    assert newest_settled_post_id([], settled, None) is None


def test_without_reply_metadata_the_permits_text_in_its_window_reconciles() -> None:
    open_reply = reply(PermitStatus.UNKNOWN)
    lossy = post("9", "@ann Thanks for asking!", reply_to=None, minutes_ago=30)
    verdict = classify_post(lossy, known(open_reply, texts=("Thanks for asking!",)), NOW)
    assert verdict == Reconcile(reply=open_reply)
    assert find_own_post(open_reply, [lossy]) == lossy


def test_without_reply_metadata_other_words_or_older_posts_stay_ghosts() -> None:
    open_reply = reply(PermitStatus.UNKNOWN)  # created an hour ago
    facts = known(open_reply, texts=("Thanks for asking!",))
    other = post("9", "Thanks for asking?", reply_to=None)
    too_old = post("10", "Thanks for asking!", reply_to=None, minutes_ago=5 * 60)
    thread_root = replace(post("11", "Thanks for asking!", reply_to=None), conversation_id="11")
    assert classify_post(thread_root, facts, NOW) == Ghost(
        classification=GhostClassification.MATCHES_DECISION_TEXT
    )
    assert classify_post(other, facts, NOW) == Ghost(
        classification=GhostClassification.OUTSIDE_XBOT
    )
    assert classify_post(too_old, facts, NOW) == Ghost(
        classification=GhostClassification.MATCHES_DECISION_TEXT
    )


def test_a_reply_to_another_target_is_not_the_permits_post() -> None:
    open_reply = reply(PermitStatus.UNKNOWN)
    elsewhere = post("9", "Thanks for asking!", reply_to="555")
    assert find_own_post(open_reply, [elsewhere]) is None
