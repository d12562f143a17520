"""Which referral tier the answers given so far have settled.

Used to stop an interview as soon as an emergency or urgent tier is certain, and to accept
an answer file whose safety screen stops there: the questions left unanswered could not
raise the tier any higher. Both questions are answered from the triage rules themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from advisor.core.engines import engine
from advisor.core.rulebase.conditions import Group, Missing, answers_used, holds, walk
from advisor.core.rulebase.knowledge import KnowledgeBase, Tier


def settled_tier(
    kb: KnowledgeBase, values: Mapping[str, Any], reached: Collection[str] | None = None, engine_kind: str | None = None
) -> Tier:
    """The highest tier the triage rules give for these answers.

    ``reached`` lists the questions already asked (answered or skipped); a rule that relies
    on a question being unanswered only counts once that question has been reached, so an
    interview never stops on "pain not answered" before the pain questions come up. None
    means every question has been reached (a finished answer file).
    """
    targets = []
    for firing in engine.shared(engine_kind).run(dict(values)):
        rule = firing.rule
        if rule.action != "refer":
            continue
        if reached is not None:
            relies_on = {c.answer for c in walk(rule.condition) if isinstance(c, Missing) and not c.negated}
            if not relies_on <= set(reached):
                continue
        targets.append(rule.target)
    return highest(kb, targets)


def highest(kb: KnowledgeBase, tier_ids: Iterable[str]) -> Tier:
    """The one place a referral tier is decided: the most urgent tier any referral rule gave.

    Routine when none did (the routine rule always fires; this guards a knowledge base without it).
    """
    return max((kb.tiers[t] for t in tier_ids), key=lambda t: t.rank, default=kb.tiers["routine"])


def ceiling(kb: KnowledgeBase, answer_ids: Collection[str], values: Mapping[str, Any] | None = None) -> int:
    """The highest tier rank any triage rule that reads one of these answers could give.

    With ``values`` (the answers so far), a rule already ruled out by them does not count:
    once "no cancer" is answered, neck pain can no longer make a cancer rule fire, so it is
    not asked for that rule's sake.
    """
    wanted = set(answer_ids)
    ranks = [
        kb.tiers[rule.target].rank
        for rule in kb.rules.values()
        if rule.action == "refer"
        and wanted & set(answers_used(rule.condition))
        and (values is None or not _ruled_out(rule.condition, values, wanted))
    ]
    return max(ranks, default=0)


def _ruled_out(cond: Group, values: Mapping[str, Any], open_ids: set[str]) -> bool:
    """Does a part of this rule, decided entirely by answers already given, fail?"""
    for item in cond.items:
        used = set(answers_used(item))
        if used and not used & open_ids and used <= set(values) and not holds(item, values):
            return True
    return False


def stops_here(
    kb: KnowledgeBase, values: Mapping[str, Any], unanswered: Collection[str], reached: Collection[str] | None = None
) -> Tier | None:
    """The emergency or urgent tier, once no unanswered question could change it; else None."""
    tier = settled_tier(kb, values, reached)
    if tier.exercises != "none":
        return None
    if ceiling(kb, unanswered, values) > tier.rank:
        return None
    return tier
