"""``advisor rules check``: cross-reference checks on the knowledge base.

The loader already rejects bad structure, duplicate ids and unknown sources. Here every
answer id, choice value, threshold and catalog id a rule names is checked against the
questionnaires and catalogs, and every rule is checked to be reachable: some answer set
of some questionnaire must be able to make it fire.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from advisor.core.errors import Problem, did_you_mean
from advisor.core.rulebase import followup, questionnaire as qmod
from advisor.core.rulebase.actions import ACTIONS, PROFESSIONAL_FIT, STAGE_ORDER, STOP_RIDING
from advisor.core.rulebase.conditions import AnswerTest, Condition, Group, HasFinding, Missing, holds, walk
from advisor.core.rulebase.figures import judge
from advisor.core.rulebase.knowledge import SOURCED, Chart, KnowledgeBase, PainChart, RuleDef, Source
from advisor.core.rulebase.questionnaire import Question, Questionnaire

# Catalog entries the engine adds itself, so no rule has to name them.
ENGINE_ADDS = {STOP_RIDING, PROFESSIONAL_FIT}
MAX_COMBINATIONS = 200_000


def check(kb: KnowledgeBase, forms: list[Questionnaire] | None = None) -> list[Problem]:
    # Rules may also read the answers derived from a previous visit.
    forms = forms if forms is not None else [followup.with_follow_up(q) for q in qmod.available()]
    problems = list(kb.problems)
    questions: dict[str, Question] = {}
    for form in forms:
        for q in form.questions:
            questions.setdefault(q.id, q)
    produced = {r.target for r in kb.rules.values() if r.action == "finding"}

    for notice in kb.notices.values():
        for named in notice.tiers:
            if named not in kb.tiers:
                problems.append(
                    Problem(
                        "notices.yaml",
                        f"notice '{notice.id}' names unknown tier '{named}'{did_you_mean(named, kb.tiers)}",
                        field="tiers",
                    )
                )
    for source in kb.sources.values():
        problems += _check_citable(source)
    problems += _check_sources_cited(kb)
    for rule in kb.rules.values():
        problems += _check_thresholds_stated(kb, rule)
        problems += _check_referral_actions(kb, rule)
        problems += _check_safety_support(kb, rule)
    for rule in kb.rules.values():
        problems += _check_targets(kb, rule)
        problems += _check_condition(rule.condition, rule.file, rule.id, questions, kb, produced)
        problems += _check_stage(rule)
    for tier in kb.tiers.values():
        for fid in tier.reassess_when_findings:
            if fid not in kb.findings:
                message = f"reassess_when_findings names unknown finding '{fid}'{did_you_mean(fid, kb.findings)}"
                problems.append(Problem(tier.file, message, tier.line, tier.id))
        needs = ["held_back"] if tier.exercises != "all" or tier.fit == "stop" else []
        needs += ["stop_line"] if tier.fit == "stop" else ["bike_changes_per_step", "first_step", "later_step"]
        for name in needs:
            if not getattr(tier, name):
                problems.append(Problem(tier.file, f"needs '{name}' (fit: {tier.fit})", tier.line, tier.id))
    for ex in kb.exercises.values():
        # The picture shows what the steps say: its declared checks, measured on its points.
        problems += [Problem(ex.file, f"picture: {p}", ex.line, ex.id) for p in judge(ex.picture)]
    for chart in kb.charts.values():
        problems += _check_chart(kb, chart, questions)
    for pain in kb.pain_charts.values():
        problems += _check_pain_chart(kb, pain, questions)
        if pain.condition is not None:
            problems += _check_condition(pain.condition, pain.file, pain.id, questions, kb, produced)
    for area in kb.areas.values():
        problems += _check_condition(area.condition, area.file, area.id, questions, kb, produced)

    for rule in kb.rules.values():
        for qid in rule.questionnaires:
            if qid not in {form.id for form in forms}:
                problems.append(
                    Problem(rule.file, f"unknown questionnaire '{qid}'", rule.line, f"{rule.id}.questionnaires")
                )
        speaks_in = [form for form in forms if not rule.questionnaires or form.id in rule.questionnaires]
        if not any(_reachable(rule.condition, form, produced) for form in speaks_in):
            problems.append(
                Problem(
                    rule.file,
                    "no questionnaire can trigger this rule: no set of answers makes its conditions hold",
                    rule.line,
                    rule.id,
                )
            )

    for ex in kb.exercises.values():
        for other in ex.replaces:
            if other not in kb.exercises:
                problems.append(
                    Problem(
                        ex.file,
                        f"replaces unknown exercise '{other}'{did_you_mean(other, kb.exercises)}",
                        ex.line,
                        ex.id,
                    )
                )

    for adj in kb.adjustments.values():
        if adj.in_fitter_consultation and adj.in_fitter_consultation not in kb.adjustments:
            problems.append(
                Problem(
                    adj.file,
                    f"in_fitter_consultation names unknown adjustment '{adj.in_fitter_consultation}'"
                    f"{did_you_mean(adj.in_fitter_consultation, kb.adjustments)}",
                    adj.line,
                    adj.id,
                )
            )
    used = {r.target for r in kb.rules.values() if not r.action.startswith("note_")}
    used |= {a.in_fitter_consultation for a in kb.adjustments.values()}
    for section, label in (
        ("findings", "made"),
        ("adjustments", "recommended"),
        ("exercises", "recommended"),
        ("notices", "given"),
    ):
        for entry in kb.section(section).values():
            if entry.id not in used and entry.id not in ENGINE_ADDS:
                problems.append(Problem(entry.file, f"is never {label} by any rule", entry.line, entry.id))
    return sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.field or "", p.message))


def _check_citable(source: Source) -> list[Problem]:
    """A physical therapist must be able to look the work up and find the statement in it."""
    missing = [
        name
        for name, value in (
            ("authors", source.authors),
            ("title", source.title),
            ("published", source.published),
            ("locator", source.locator),
            ("states", source.states),
        )
        if not value.strip()
    ]
    if source.year is None and not source.accessed:
        missing.append("year (or 'accessed' for an undated web page)")
    if not (source.doi or source.pmid or source.url):
        missing.append("doi, pmid or url")
    out = [Problem(source.file, f"a source must give {', '.join(missing)}", source.line, source.id)] if missing else []
    if source.kind not in SOURCE_KINDS:
        out.append(
            Problem(
                source.file,
                f"kind '{source.kind}' is not one of: {', '.join(SOURCE_KINDS)}",
                source.line,
                f"{source.id}.kind",
            )
        )
    if re.search(r"[?&](q|query|term|search)=|/search\b", source.url):
        out.append(
            Problem(
                source.file,
                f"url '{source.url}' is a search page; give the address of the work itself",
                source.line,
                f"{source.id}.url",
            )
        )
    if source.url and not re.match(r"^https?://[^/\s]+/\S+", source.url):
        out.append(
            Problem(
                source.file,
                f"url '{source.url}' must be the full address of the work, not a bare host",
                source.line,
                f"{source.id}.url",
            )
        )
    return out


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
SOURCE_KINDS = (
    "guideline",
    "review",
    "study",
    "clinical-reference",
    "health-service-page",
    "textbook",
    "web-article",
)


def _stated(kb: KnowledgeBase, source_ids: list[str]) -> set[float]:
    """Every number the cited sources' 'states' and 'locator' texts give."""
    return {
        float(n)
        for sid in source_ids
        if sid in kb.sources
        for n in _NUMBER.findall(f"{kb.sources[sid].states} {kb.sources[sid].locator}")
    }


def _check_sources_cited(kb: KnowledgeBase) -> list[Problem]:
    """Every source is there for a claim: one no entry cites is a leftover."""
    cited = {sid for section in SOURCED for entry in kb.section(section).values() for sid in entry.source}
    cited |= {sid for ex in kb.exercises.values() for sid in ex.priority_reason.source}
    return [
        Problem(source.file, "no rule or catalog entry cites this source; remove it or cite it", source.line, source.id)
        for source in kb.sources.values()
        if source.id not in cited
    ]


def _check_safety_support(kb: KnowledgeBase, rule: RuleDef) -> list[Problem]:
    """A referral or a safety hold rests on more than a web article (promise 19)."""
    if rule.action != "refer" and not rule.action.startswith("withhold_"):
        return []
    if rule.id == "triage-routine" or not rule.source:
        return []
    kinds = {kb.sources[s].kind for s in rule.source if s in kb.sources}
    if kinds and kinds <= {"web-article"}:
        return [
            Problem(
                rule.file,
                "a safety rule must not rest on web articles alone; cite a clinical source that states it",
                rule.line,
                f"{rule.id}.source",
            )
        ]
    return []


def _check_thresholds_stated(kb: KnowledgeBase, rule: RuleDef) -> list[Problem]:
    """A cut-off must be stated by one of the sources the rule cites.

    Tests of 0 or 1 (any pain at all, bars at or above the saddle, any change since the last
    visit) are presence tests, not cut-offs. A rule marked expert opinion says in its reason
    why its number is not a source's (a boundary read from a source's wording, a default).
    """
    if rule.expert_opinion:
        return []  # the opinion's reason says where the number comes from
    stated = _stated(kb, rule.source)
    out = []
    for c in walk(rule.condition):
        if not isinstance(c, AnswerTest) or isinstance(c.arg, bool):
            continue
        args = c.arg if isinstance(c.arg, list) else [c.arg]
        for arg in args:
            if isinstance(arg, (int, float)) and abs(arg) > 1 and abs(float(arg)) not in stated:
                out.append(
                    Problem(
                        rule.file,
                        f"the cut-off {arg:g} for '{c.answer}' is not stated by any source this rule cites "
                        f"({', '.join(rule.source)}); cite one whose 'states' gives it",
                        c.line,
                        f"{rule.id}.when",
                    )
                )
    return out


def _check_chart(kb: KnowledgeBase, chart: Chart, questions: dict[str, Question]) -> list[Problem]:
    """A chart draws a numeric answer, and its cut-offs are stated by the sources it cites."""
    out = []
    q = questions.get(chart.answer)
    if q is None or q.type not in ("int", "number"):
        out.append(Problem(chart.file, f"'{chart.answer}' is not a numeric question", chart.line, f"{chart.id}.answer"))
    stated = _stated(kb, chart.source)
    for value in (chart.cutoff, *chart.cutoff_by_sex.values()):
        if abs(value) not in stated:
            message = f"the cut-off {value:g} is not stated by any source this chart cites ({', '.join(chart.source)})"
            out.append(Problem(chart.file, message, chart.line, f"{chart.id}.cutoff"))
    return out


PAIN_SCALES = {"rating": ("int", "number"), "ordinal": ("choice",), "places": ("multi",)}


def _check_pain_chart(kb: KnowledgeBase, chart: PainChart, questions: dict[str, Question]) -> list[Problem]:
    """A pain chart draws a question of its scale's type, on a scale its sources state: a
    rating's ends (0 and 10), an ordinal scale's words after its first (mild, moderate ...)."""
    q = questions.get(chart.answer)
    if q is None or q.type not in PAIN_SCALES[chart.scale]:
        kinds = " or ".join(PAIN_SCALES[chart.scale])
        message = f"'{chart.answer}' is not a {kinds} question, which a {chart.scale} scale draws"
        return [Problem(chart.file, message, chart.line, f"{chart.id}.answer")]
    if chart.expert_opinion:
        return []
    texts = " ".join(f"{kb.sources[s].states} {kb.sources[s].locator}" for s in chart.source if s in kb.sources)
    if chart.scale == "rating":
        unstated = [v for v in (q.min, q.max) if v is None or abs(float(v)) not in _stated(kb, chart.source)]
        what = [f"{v:g}" if v is not None else "an end" for v in unstated]
    elif chart.scale == "ordinal":
        words = [c.value.replace("_", " ") for c in q.choices[1:]]
        what = [w for w in words if not re.search(rf"\b{re.escape(w)}\b", texts, re.IGNORECASE)]
    else:
        what = []
    if not what:
        return []
    kind = "words" if chart.scale == "ordinal" else "ends"
    message = f"no source this chart cites ({', '.join(chart.source)}) states the scale's {kind} {', '.join(what)}"
    return [Problem(chart.file, message, chart.line, f"{chart.id}.scale")]


def _check_referral_actions(kb: KnowledgeBase, rule: RuleDef) -> list[Problem]:
    """Each emergency or urgent reason says what to do about it and what to tell the doctor."""
    if rule.action != "refer" or rule.target not in kb.tiers or kb.tiers[rule.target].fit != "stop":
        return []
    missing = [
        name for name, value in (("what_to_do", rule.what_to_do), ("tell_doctor", rule.tell_doctor)) if not value
    ]
    if not missing:
        return []
    return [Problem(rule.file, f"an {rule.target} rule must say {' and '.join(missing)}", rule.line, rule.id)]


def _check_targets(kb: KnowledgeBase, rule: RuleDef) -> list[Problem]:
    if rule.action not in ACTIONS:
        return []
    catalog = kb.catalog_for(rule.action)
    if rule.target in catalog:
        return []
    return [
        Problem(
            rule.file,
            f"unknown id '{rule.target}'{did_you_mean(rule.target, catalog)}",
            rule.line,
            f"{rule.id}.then.{rule.action}",
        )
    ]


def _absent_findings(cond: Condition, negated: bool = False) -> Iterator[HasFinding]:
    """The finding tests of ``cond`` that hold when a finding is absent: ``no_finding``, and a
    ``finding`` inside ``none_of`` (which negates what it holds)."""
    if isinstance(cond, HasFinding):
        if cond.negated != negated:
            yield cond
    elif isinstance(cond, Group):
        for item in cond.items:
            yield from _absent_findings(item, negated != (cond.kind == "none_of"))


def _check_stage(rule: RuleDef) -> list[Problem]:
    out = []
    if STAGE_ORDER[rule.stage] <= STAGE_ORDER["finding"]:
        # Before every finding is made, "absent" would depend on the order the rules ran in.
        for absent in _absent_findings(rule.condition):
            out.append(
                Problem(
                    rule.file,
                    "no_finding (or a finding inside none_of) may only be used by fit, exercise and safety rules, "
                    "after all findings are made",
                    absent.line,
                    f"{rule.id}.when",
                )
            )
    for c in walk(rule.condition):
        if isinstance(c, Group) and c.kind == "none_of":
            for item in c.items:
                if isinstance(item, Group):
                    out.append(
                        Problem(
                            rule.file,
                            "none_of takes simple conditions only (no any/all inside)",
                            item.line,
                            f"{rule.id}.when",
                        )
                    )
    return out


def _check_condition(
    cond: Condition,
    file: str,
    owner: str,
    questions: dict[str, Question],
    kb: KnowledgeBase,
    produced: set[str],
) -> Iterator[Problem]:
    field = f"{owner}.when"
    for c in walk(cond):
        if isinstance(c, HasFinding):
            if c.finding not in kb.findings:
                yield Problem(
                    file,
                    f"unknown finding '{c.finding}'{did_you_mean(c.finding, kb.findings)}",
                    c.line,
                    field,
                )
            elif c.finding not in produced and not c.negated:
                yield Problem(
                    file,
                    f"no rule makes the finding '{c.finding}', so this condition never holds",
                    c.line,
                    field,
                )
        elif isinstance(c, (AnswerTest, Missing)):
            q = questions.get(c.answer)
            if q is None:
                yield Problem(
                    file,
                    f"unknown answer id '{c.answer}'{did_you_mean(c.answer, questions)}",
                    c.line,
                    field,
                )
            elif isinstance(c, AnswerTest):
                message = _test_problem(c, q)
                if message:
                    yield Problem(file, message, c.line, field)


def _test_problem(t: AnswerTest, q: Question) -> str | None:
    numeric = t.op in ("below", "above", "at_least", "at_most", "between")
    if q.type == "bool" and t.op not in ("is", "equals", "one_of"):
        return f"'{t.answer}' is yes/no; use 'is: true' or 'is: false', not '{t.op}'"
    if q.type in ("choice", "multi"):
        if numeric or t.op == "is":
            return f"'{t.answer}' is a choice; '{t.op}' does not apply"
        if q.type == "multi" and t.op not in ("includes", "includes_any", "includes_at_least"):
            return f"'{t.answer}' takes several values; use includes, includes_any or includes_at_least"
        if q.type == "choice" and t.op in ("includes", "includes_any", "includes_at_least"):
            return f"'{t.answer}' takes one value; use equals, one_of or not_one_of"
        if t.op == "includes_at_least":
            if t.arg > len(q.values):
                return f"'{t.describe()}' can never hold: '{t.answer}' has {len(q.values)} choices"
            return None
        values = t.arg if isinstance(t.arg, list) else [t.arg]
        for v in values:
            if v not in q.values:
                hint = did_you_mean(str(v), q.values)
                return f"'{v}' is not a choice of '{t.answer}'{hint}; allowed: {', '.join(q.values)}"
    if q.type in ("int", "number"):
        if not numeric:
            return f"'{t.answer}' is a number; use below, above, at_least, at_most or between"
        lo, hi = q.min, q.max
        assert lo is not None and hi is not None
        arg = t.arg
        never = (
            (t.op == "below" and arg <= lo)
            or (t.op == "above" and arg >= hi)
            or (t.op == "at_least" and arg > hi)
            or (t.op == "at_most" and arg < lo)
            or (t.op == "between" and (arg[1] < lo or arg[0] > hi))
        )
        if never:
            return f"'{t.describe()}' can never hold: '{t.answer}' ranges from {lo:g} to {hi:g}"
    return None


def _reachable(cond: Condition, form: Questionnaire, produced: set[str]) -> bool:
    """Is there any answer set (and set of findings) of this questionnaire that satisfies cond?"""
    answer_ids: list[str] = []
    findings: list[str] = []
    thresholds: dict[str, set[float]] = {}
    for c in walk(cond):
        if isinstance(c, (AnswerTest, Missing)) and c.answer not in answer_ids:
            answer_ids.append(c.answer)
        if isinstance(c, AnswerTest) and isinstance(c.arg, (int, float, list)) and not isinstance(c.arg, bool):
            args = c.arg if isinstance(c.arg, list) else [c.arg]
            thresholds.setdefault(c.answer, set()).update(a for a in args if isinstance(a, (int, float)))
        if isinstance(c, HasFinding) and c.finding not in findings:
            findings.append(c.finding)
    candidates: list[list[Any]] = []
    for qid in answer_ids:
        q = form.get(qid)
        if q is None:
            candidates.append([_MISSING])
            continue
        candidates.append([_MISSING, *_values(q, thresholds.get(qid, set()))])
    finding_options = [[False, True] if f in produced else [False] for f in findings]
    total = 1
    for opts in candidates + finding_options:
        total *= len(opts)
    if total > MAX_COMBINATIONS:
        return True  # too many to search; the other checks still apply
    for combo in itertools.product(*candidates):
        answers = {qid: v for qid, v in zip(answer_ids, combo, strict=True) if v is not _MISSING}
        for fcombo in itertools.product(*finding_options):
            present = frozenset(f for f, on in zip(findings, fcombo, strict=True) if on)
            if holds(cond, answers, present):
                return True
    return False


class _Missing:
    pass


_MISSING = _Missing()


def _values(q: Question, thresholds: set[float]) -> list[Any]:
    if q.type == "bool":
        return [True, False]
    if q.type == "choice":
        return list(q.values)
    if q.type == "multi":
        return [[], *[[v] for v in q.values], list(q.values)]
    assert q.min is not None and q.max is not None
    step = 1 if q.type == "int" else 0.5
    points = {q.min, q.max}
    for t in thresholds:
        points.update({t - step, t, t + step})
    return sorted(p for p in points if q.min <= p <= q.max)
