"""The knowledge base and questionnaires: what they must hold, and how mistakes are reported."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.datafiles import resources
from advisor.core.errors import AdvisorError
from advisor.core.rulebase import knowledge, lint, questionnaire as qmod
from tests.spec_ids import EXERCISES, SAFETY

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"

SPEC_IDS = {
    "safety": list(SAFETY),
    "rider": [
        "age",
        "sex",
        "discipline",
        "weekly_hours",
        "longest_ride_hours",
        "strength_training",
        "equipment",
        "toe_touch",
        "hamstring_tightness",
        "hip_flexor_tightness",
        "pelvic_rotation",
        "lumbar_rounding",
        "saddle_contact",
        "hip_rocking",
        "saddle_cutout",
        "saddle_tilt",
        "bar_drop_cm",
        "last_bike_fit",
        "low_back_pain",
        "back_pain_intensity",
        "back_pain_weeks",
        "pain_below_knee",
        "neck_shoulder_pain",
        "hand_numbness",
        "perineal_numbness",
        "knee_pain",
        "upper_body_fatigue",
        "easy_exercises",  # an addition to the contract, for follow-up visits
    ],
    "fitter_only": [
        "passive_slr_deg",
        "active_knee_extension_deg",
        "thomas_test",
        "knee_angle_bdc_deg",
        "knee_angle_method",
    ],
}


def test_questionnaires_ask_every_canonical_id_safety_first() -> None:
    rider, fitter = qmod.load("rider"), qmod.load("fitter")
    safety = SPEC_IDS["safety"]
    # The contract's ids are all asked; the questionnaires may ask more (optional ones).
    assert set(safety + SPEC_IDS["rider"]) <= set(rider.ids())
    assert set(rider.ids()) | set(SPEC_IDS["fitter_only"]) <= set(fitter.ids())
    for form in (rider, fitter):
        assert [q for q in form.ids() if q.startswith("rf_")] == safety
        assert form.sections[0].id == "safety" and set(safety) <= {q.id for q in form.sections[0].questions}
        for q in form.questions:
            assert q.required == q.id.startswith("rf_"), q.id
            assert q.help and q.text


def test_question_types_and_ranges_follow_the_spec() -> None:
    fitter = qmod.load("fitter")
    assert (fitter.question("passive_slr_deg").min, fitter.question("passive_slr_deg").max) == (
        0,
        130,
    )
    assert (fitter.question("bar_drop_cm").min, fitter.question("bar_drop_cm").max) == (-10, 20)
    assert fitter.question("knee_pain").type == "multi"
    assert fitter.question("toe_touch").values == [
        "palms_flat",
        "fingertips",
        "short_of_toes",
        "well_short_of_toes",
    ]
    assert fitter.question("back_pain_intensity").condition.items, "pain intensity is asked only when there is pain"


def test_knowledge_base_holds_the_required_catalog() -> None:
    kb = knowledge.load()
    assert set(EXERCISES) <= set(kb.exercises)
    assert {
        "raise-handlebar",
        "shorten-reach",
        "saddle-with-cutout",
        "level-saddle",
        "lower-saddle",
        "raise-saddle",
        "vary-hand-position",
        "professional-bike-fit",
        "refit-after-flexibility-gains",
        "stop-riding-until-assessed",
    } <= set(kb.adjustments)
    assert {
        "tight-hamstrings",
        "tight-hip-flexors",
        "posterior-pelvic-rotation",
        "anterior-pelvic-rotation",
        "arms-bear-upper-body",
        "perineal-pressure",
        "saddle-too-high",
        "saddle-too-low",
    } <= set(kb.findings)
    # The founding article's doses.
    assert kb.exercises["deadbug"].dose.sets == "2" and kb.exercises["deadbug"].dose.reps == "15-20"
    assert kb.exercises["bird-dog"].dose.reps == "15-20"
    assert kb.exercises["braced-deadbug"].dose.reps == "10-12"
    assert "30 s" in (kb.exercises["suspension-bridge"].dose.hold or "")
    for rule in kb.rules.values():
        # A rule cites a source that states it, or is marked as expert opinion (promise 19).
        assert (rule.source or rule.expert_opinion.strip()) and rule.description and rule.because


def test_rules_check_is_clean() -> None:
    assert lint.check(knowledge.load_dir(resources.rules_dir())) == []


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(resources.rules_dir(), target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(root: Path) -> list[str]:
    return [str(p) for p in lint.check(knowledge.load_dir(root))]


BROKEN_RULES = [
    (
        "findings.yaml",
        "{answer: passive_slr_deg, below: 80}",
        "{answer: pasive_slr_deg, below: 80}",
        ["findings.yaml:", "unknown answer id 'pasive_slr_deg'", "did you mean 'passive_slr_deg'"],
    ),
    (
        "fit.yaml",
        "then: {adjust: raise-handlebar}",
        "then: {adjust: raise-handlebars}",
        ["fit.yaml:", "unknown id 'raise-handlebars'", "did you mean 'raise-handlebar'"],
    ),
    ("findings.yaml", "    source: [R8]\n", "", ["findings.yaml:", "source", "cite a source that states this"]),
    # Promise 19: a safety rule never rests on a web article alone (R1 is a coaching article).
    (
        "triage.yaml",
        "    source: [R201, R203, R73, R74]",
        "    source: [R1]",
        ["triage.yaml:", "a safety rule must not rest on web articles alone"],
    ),
    # A source no rule cites is a leftover.
    (
        "sources/guidelines.yaml",
        "sources:\n",
        "sources:\n  - id: R999\n    kind: study\n    authors: A\n    year: 2020\n    title: T\n"
        "    published: J 1:1\n    doi: 10.1/x\n    locator: p 1\n    states: S\n",
        ["sources/guidelines.yaml:", "R999: no rule or catalog entry cites this source"],
    ),
    # A link is to the work itself, never to a search page.
    (
        "sources/guidelines.yaml",
        'url: "https://www.nice.org.uk/guidance/ng65/chapter/recommendations"',
        'url: "https://www.nice.org.uk/search?q=ng65"',
        ["sources/guidelines.yaml:", "is a search page"],
    ),
    # Every source says what kind of work it is.
    (
        "sources/guidelines.yaml",
        "  - id: R401\n    kind: guideline\n",
        "  - id: R401\n    kind: blog\n",
        ["sources/guidelines.yaml:", "kind 'blog' is not one of"],
    ),
    (
        "findings.yaml",
        "source: [R8]",
        "source: [R999]",
        ["findings.yaml:", "unknown source 'R999'"],
    ),
    (
        "sources/medical.yaml",
        '    locator: "Recommendations 1.1.1',
        '    locator: ""\n    x_locator: "',
        ["sources/medical.yaml:", "x_locator"],
    ),
    (
        "sources/medical.yaml",
        '    locator: "Recommendations 1.1.1 (alternative diagnoses), 1.1.2-1.1.3 (risk stratification), '
        '1.1.4 (imaging), section 1.2 (non-invasive treatment)"',
        '    locator: ""',
        ["sources/medical.yaml:", "R79: a source must give locator"],
    ),
    (
        "findings.yaml",
        "{answer: active_knee_extension_deg, above: 23.4}",
        "{answer: active_knee_extension_deg, above: 25}",
        ["findings.yaml:", "the cut-off 25 for 'active_knee_extension_deg' is not stated by any source"],
    ),
    (
        "triage.yaml",
        "    what_to_do: >-\n      Stop riding and call",
        "    x: >-\n      Stop riding and call",
        ["triage.yaml:", "x"],
    ),
    (
        "findings.yaml",
        "- id: fnd-hamstrings-ake-male",
        "- id: fnd-hamstrings-ake-female",
        ["findings.yaml:", "duplicate id 'fnd-hamstrings-ake-female'"],
    ),
    (
        "findings.yaml",
        "{answer: low_back_pain, one_of: [long_rides, most_rides, daily_life]}",
        "{answer: low_back_pain, one_of: [long_rides, most_ride, daily_life]}",
        ["'most_ride' is not a choice of 'low_back_pain'", "did you mean 'most_rides'"],
    ),
    (
        "findings.yaml",
        "{answer: passive_slr_deg, below: 80}",
        "{answer: passive_slr_deg, below: 0}",
        ["can never hold", "no questionnaire can trigger this rule"],
    ),
    (
        "findings.yaml",
        "{answer: passive_slr_deg, below: 80}",
        "{answer: passive_slr_deg, under: 80}",
        ["unknown operator 'under'"],
    ),
    (
        "fit.yaml",
        "{finding: tight-hamstrings}",
        "{finding: tight-hamstring}",
        ["unknown finding 'tight-hamstring'", "did you mean 'tight-hamstrings'"],
    ),
    (
        "findings.yaml",
        "      - {answer: sex, equals: female}\n    then: {finding: tight-hamstrings}",
        "      - {answer: sex, equals: female}\n      - {no_finding: weak-core}\n    then: {finding: tight-hamstrings}",
        ["no_finding (or a finding inside none_of) may only be used by fit, exercise and safety rules"],
    ),
    (
        "findings.yaml",
        "      - {answer: sex, equals: female}\n    then: {finding: tight-hamstrings}",
        "      - {answer: sex, equals: female}\n      - none_of: [{finding: weak-core}]\n"
        "    then: {finding: tight-hamstrings}",
        ["no_finding (or a finding inside none_of) may only be used by fit, exercise and safety rules"],
    ),
    (
        "findings.yaml",
        "      - {answer: sex, equals: female}\n",
        "      - {answer: sex, equals: female}\n      - {answer: sex, equals: male}\n",
        ["fnd-hamstrings-ake-female: no questionnaire can trigger this rule"],
    ),
]


@pytest.mark.parametrize("file,old,new,words", BROKEN_RULES, ids=[w[-1][:40] for *_, w in BROKEN_RULES])
def test_broken_rules_are_reported_with_file_and_line(
    rules_copy: Path, file: str, old: str, new: str, words: list[str]
) -> None:
    edited, entry = _edited_lines((rules_copy / file).read_text(encoding="utf-8"), old, new)
    _edit(rules_copy / file, old, new)
    problems = _problems(rules_copy)
    joined = "\n".join(problems)
    for word in words:
        assert word in joined, f"{word!r} not in:\n{joined}"
    # The message points into the entry that was broken: a line between the entry's start
    # ("- id:") and the edited line itself.
    lines = [int(m.group(1)) for p in problems if (m := re.match(rf"(?:\S*/)?{re.escape(file)}:(\d+):", p))]
    assert any(entry <= n <= edited for n in lines), f"no {file}:{entry}-{edited} in:\n{joined}"


def _edited_lines(text: str, old: str, new: str) -> tuple[int, int]:
    """(last line the edit touches, line where its entry starts), 1-based, from the text before the edit."""
    at = text.index(old)
    first = text.count("\n", 0, at) + 1
    lines = text.splitlines()
    entry = next((i + 1 for i in range(first - 1, -1, -1) if lines[i].lstrip().startswith("- id:")), 1)
    return first + new.count("\n"), entry


@pytest.mark.parametrize("file,old,new,words", BROKEN_RULES, ids=[w[-1][:40] for *_, w in BROKEN_RULES])
def test_a_broken_knowledge_base_stops_assess_with_file_and_line(
    rules_copy: Path, file: str, old: str, new: str, words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same broken rules, met as a user meets them: `advisor assess` on that rules folder."""
    _edit(rules_copy / file, old, new)
    monkeypatch.setenv(resources.ENV_RULES_DIR, str(rules_copy))
    result = CliRunner().invoke(app, ["assess", str(EXAMPLE)])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert re.search(rf"^error: \S*/{re.escape(file)}:\d+: ", result.stderr, re.M), result.stderr
    assert words[-1] in result.stderr


def test_unused_catalog_entry_is_reported(rules_copy: Path) -> None:
    _edit(
        rules_copy / "exercises.yaml",
        "then: {exercise: chin-tuck}",
        "then: {exercise: thoracic-extension}",
    )
    assert any("chin-tuck: is never recommended by any rule" in p for p in _problems(rules_copy))


def test_an_exercises_priority_must_say_why_with_a_source_or_as_expert_opinion(rules_copy: Path) -> None:
    """The order of a programme is a claim: each priority gives its reason, cited or marked."""
    catalog = rules_copy / "catalog" / "exercises.yaml"
    text = catalog.read_text(encoding="utf-8")
    start = text.index('    priority_reason:\n      because: "The first exercise for neck')
    end = text.index("\n    source: [R334]", start) + 1
    catalog.write_text(
        text[:start] + '    priority_reason:\n      because: "First for the neck."\n' + text[end:], encoding="utf-8"
    )
    assert any("chin-tuck.priority_reason: priority_reason: cite a source" in p for p in _problems(rules_copy))
    _edit(catalog, 'because: "First for the neck."', 'because: "First for the neck."\n      source: [R9999]')
    assert any("chin-tuck.priority_reason: unknown source 'R9999'" in p for p in _problems(rules_copy))


def test_rules_check_command_exits_1_on_problems(rules_copy: Path) -> None:
    _edit(
        rules_copy / "fit.yaml",
        "then: {adjust: raise-handlebar}",
        "then: {adjust: raise-handlebars}",
    )
    result = CliRunner().invoke(app, ["rules", "check", "--rules-dir", str(rules_copy)])
    assert result.exit_code == 1
    assert "fit.yaml:" in result.stdout and "raise-handlebars" in result.stdout


def test_broken_questionnaire_names_file_line_and_field(tmp_path: Path) -> None:
    src = resources.questionnaires_dir() / "rider.yaml"
    broken = tmp_path / "rider.yaml"
    broken.write_text(src.read_text(encoding="utf-8").replace("type: choice", "type: choise", 1), encoding="utf-8")
    with pytest.raises(AdvisorError) as err:
        qmod.load_path(broken)
    message = str(err.value)
    assert "rider.yaml:" in message and ".type:" in message and "'choise'" in message


def test_a_structurally_broken_knowledge_base_stops_assess(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = _edited_lines((rules_copy / "triage.yaml").read_text(encoding="utf-8"), "    exercises: none\n", "")[0]
    _edit(rules_copy / "triage.yaml", "    exercises: none\n", "    exercises: nothing\n")
    monkeypatch.setenv(resources.ENV_RULES_DIR, str(rules_copy))
    result = CliRunner().invoke(app, ["assess", str(EXAMPLE)])
    assert result.exit_code == 2
    assert f"/triage.yaml:{line}: " in result.stderr and "'nothing'" in result.stderr, result.stderr


def test_every_exercise_can_be_reported_easy_or_too_hard() -> None:
    """A follow-up asks which exercises became easy or too hard: every exercise the catalog can
    give is a choice there, so none is lost at the next visit."""
    form = qmod.load("rider")
    given = set(knowledge.load().exercises)
    for qid in ("easy_exercises", "too_hard_exercises"):
        assert given <= set(form.question(qid).values), (qid, given - set(form.question(qid).values))
