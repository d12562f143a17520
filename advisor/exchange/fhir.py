"""FHIR R4: the questionnaires as Questionnaire resources, consultations as a Bundle, and back.

Pure functions over plain JSON-able dicts: no I/O and no FHIR library at run time (the tests
validate every resource with ``fhir.resources``). Only elements and core extensions that
exist in R4 (4.0.1) are used.

A consultation becomes, in one ``collection`` Bundle:

- a QuestionnaireResponse: the answer file itself (answers and fit record), the one resource
  ``read_bundle`` reads back, exactly;
- a ServiceRequest: the referral to a physical therapist, its priority from the urgency;
- a CarePlan: the referral first, then each fit adjustment and exercise. An emergency or
  urgent tier plans nothing but getting care and not riding until assessed.

The Questionnaire each response answers travels in the Bundle too, so a receiver can read
the responses without reaching our canonical URLs.

Decisions a receiver may need to know:

- Numbers are ``integer`` or ``decimal`` items with the ``questionnaire-unit`` extension (UCUM
  where the unit is one); their answers are ``valueInteger`` or ``valueDecimal``. In R4
  ``valueQuantity`` answers only a ``quantity`` item, and would lose whether 4 was typed as
  an integer or a decimal, which the answer file keeps.
- Choices are codings in one code system of ours whose codes are the value ids of the answer
  file; a code means what the question's option of that id means.
- A multi-choice question answered "none of these" (``[]`` in an answer file) is answered
  with the option NONE_CHOSEN, which the Questionnaire marks exclusive (the R4
  ``questionnaire-optionExclusive`` extension). The question is then answered, as it is in
  the answer file: FHIR's ``exists`` agrees with the advisor's ``answered``.
- The fit record (the bike's settings before and after the day's changes) is part of every
  answer file, so every Questionnaire ends with an optional "fit-record" group holding a
  "before" and an "after" group of the settings of questionnaires/bike/fit-record.yaml.
- The fitter who took the fit record is the QuestionnaireResponse's ``author``, a reference
  by name alone (``display``): the person who recorded the answers, as R4 defines it.
- The Questionnaire's version is a digest of its content: it changes exactly when the form
  does, and a response names the form it answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.intake import answers as answers_mod, fitrecord
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import questionnaire as qmod
from advisor.core.rulebase.conditions import AnswerTest, Condition, Group, Missing
from advisor.core.rulebase.questionnaire import Question, Questionnaire

# Our own canonical base: the Questionnaires, code systems and identifiers live under it.
BASE = "https://bikefit-advisor.org/fhir"
QUESTIONNAIRE_BASE = f"{BASE}/Questionnaire/"
ANSWER_VALUES = f"{BASE}/CodeSystem/answer-values"  # choice codes: the answer file's value ids
ADVICE = f"{BASE}/CodeSystem/advice"  # the catalog ids: fit adjustments, exercises, the referral

NONE_CHOSEN = "none-of-these"  # the exclusive option answering a multi-choice with none chosen
NONE_CHOSEN_LABEL = "None of these"
FIT_GROUP = "fit-record"  # linkId of the fit-record group; "fit-record.before.<setting id>" inside
REFERRAL_CODE = "physical-therapist-referral"

# Core R4 extensions and code systems.
UCUM = "http://unitsofmeasure.org"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL = "http://hl7.org/fhir/questionnaire-item-control"
EXT_OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"

# The units the questionnaires and the fit record use, as UCUM codes. A pain score out of 10
# has no unit; UCUM writes such a count as an annotation. The display is the unit as the
# advisor shows it.
UCUM_CODES = {
    "°": "deg",
    "mm": "mm",
    "cm": "cm",
    "km": "km",
    "kg": "kg",
    "h": "h",
    "min": "min",
    "weeks": "wk",
    "years": "a",
    "/10": "{score}",
}

# Urgency -> ServiceRequest.priority (R4 request-priority: routine | urgent | asap | stat).
PRIORITY = {"emergency": "stat", "urgent": "asap", "soon": "urgent", "routine": "routine"}

ITEM_TYPE = {"bool": "boolean", "int": "integer", "number": "decimal", "choice": "choice", "multi": "choice"}
VALUE_KEY = {
    "bool": "valueBoolean",
    "int": "valueInteger",
    "number": "valueDecimal",
    "choice": "valueCoding",
    "multi": "valueCoding",
}
WHEN_TEXT = {"before": "Before today's changes", "after": "After today's changes"}
STOP_RIDING = "stop-riding-until-assessed"
WRITTEN = ("Questionnaire", "QuestionnaireResponse", "ServiceRequest", "CarePlan")

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, BASE)


# ---------------------------------------------------------------------------------------------
# Questionnaire


def canonical(form_id: str) -> str:
    return QUESTIONNAIRE_BASE + form_id


def questionnaire_resource(form: Questionnaire) -> dict[str, Any]:
    """The questionnaire as a FHIR R4 Questionnaire: one group per section, then the fit record."""
    items = [_section_item(form, section) for section in form.sections if section.questions]
    items.append(_fit_group_item())
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": form.id,
        "url": canonical(form.id),
        "name": "BikefitAdvisor" + "".join(w.capitalize() for w in re.split(r"[^0-9A-Za-z]+", form.id) if w),
        "title": form.title,
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "bikefit-advisor",
        "description": form.intro,
        "item": items,
    }
    resource = _pruned(resource)
    resource["version"] = _digest(resource)
    return resource


def _digest(resource: dict[str, Any]) -> str:
    text = json.dumps(resource, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _section_item(form: Questionnaire, section: qmod.Section) -> dict[str, Any]:
    intro = [_display(f"{section.id}.intro", section.intro)] if section.intro else []
    return {
        "linkId": section.id,
        "text": section.title,
        "type": "group",
        "item": intro + [_question_item(form, q) for q in section.questions],
    }


def _question_item(form: Questionnaire, q: Question) -> dict[str, Any]:
    if q.type == "multi" and NONE_CHOSEN in q.values:
        raise ValueError(f"'{q.id}' has a choice '{NONE_CHOSEN}', the code that means none chosen")
    item: dict[str, Any] = {
        "linkId": q.id,
        "text": q.text,
        "type": ITEM_TYPE[q.type],
        "required": q.required,
        "repeats": q.type == "multi" or None,
        "extension": _number_extensions(ITEM_TYPE[q.type], q.unit, q.min, q.max),
        "answerOption": [_option(c.value, c.label) for c in q.choices],
        "item": [_help(q.id, q.help)],
    }
    if q.type == "multi":
        none = _option(NONE_CHOSEN, NONE_CHOSEN_LABEL)
        none["extension"] = [{"url": EXT_OPTION_EXCLUSIVE, "valueBoolean": True}]
        item["answerOption"].append(none)
    enable = _enable_when(q.condition, form)
    if enable:
        conditions, behavior = enable
        item["enableWhen"] = conditions
        item["enableBehavior"] = behavior
    return item


def _option(code: str, label: str) -> dict[str, Any]:
    return {"valueCoding": _coding(ANSWER_VALUES, code, label)}


def _coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"system": system, "code": code, "display": display}


def _display(link_id: str, text: str) -> dict[str, Any]:
    return {"linkId": link_id, "text": text, "type": "display"}


def _help(owner: str, text: str) -> dict[str, Any]:
    item = _display(f"{owner}.help", text)
    control = {"coding": [{"system": ITEM_CONTROL, "code": "help", "display": "Help-Button"}]}
    item["extension"] = [{"url": EXT_ITEM_CONTROL, "valueCodeableConcept": control}]
    return item


def _number_extensions(item_type: str, unit: str, low: float | None, high: float | None) -> list[dict[str, Any]]:
    if item_type not in ("integer", "decimal"):
        return []
    found: list[dict[str, Any]] = []
    if unit:
        code = UCUM_CODES.get(unit)
        # A unit UCUM has no code for still shows its name; a Coding may carry a display alone.
        coding = {"system": UCUM, "code": code, "display": unit} if code else {"display": unit}
        found.append({"url": EXT_UNIT, "valueCoding": coding})
    key = "valueInteger" if item_type == "integer" else "valueDecimal"
    for url, bound in ((EXT_MIN, low), (EXT_MAX, high)):
        if bound is not None:
            found.append({"url": url, key: int(bound) if item_type == "integer" else _plain(bound)})
    return found


def _plain(x: float) -> int | float:
    """A bound as written: 130 rather than 130.0."""
    return int(x) if float(x).is_integer() else x


def _fit_group_item() -> dict[str, Any]:
    form = fitrecord.form()
    parts = [
        {
            "linkId": f"{FIT_GROUP}.{when}",
            "text": WHEN_TEXT[when],
            "type": "group",
            "item": [_setting_item(when, s) for s in form.settings],
        }
        for when in fitrecord.WHEN
    ]
    return {
        "linkId": FIT_GROUP,
        "text": form.title,
        "type": "group",
        "item": [_display(f"{FIT_GROUP}.intro", form.intro), *parts],
    }


def _setting_item(when: str, setting: fitrecord.Setting) -> dict[str, Any]:
    link_id = f"{FIT_GROUP}.{when}.{setting.id}"
    item_type = "decimal" if setting.type == "number" else "string"
    return {
        "linkId": link_id,
        "text": setting.label,
        "type": item_type,
        "extension": _number_extensions(item_type, setting.unit, setting.min, setting.max),
        "item": [_help(link_id, setting.help)],
    }


# enableWhen: what of the condition language R4 can say. Every enableWhen of an item is
# combined the same way (enableBehavior all or any), so a condition mixing "and" with "or"
# (age at least 50 and back pain of any kind) has no R4 form: that item gets no enableWhen
# and is shown to everyone, which asks more, never less. So do conditions on findings and
# none_of, which enableWhen cannot test.


def _enable_when(cond: Condition, form: Questionnaire) -> tuple[list[dict[str, Any]], str | None] | None:
    """The enableWhen list and enableBehavior for a condition, or None when there is none."""
    expressed = _express(cond, form)
    if expressed is None or not expressed[1]:
        return None
    behavior, atoms = expressed
    return atoms, behavior if len(atoms) > 1 else None


def _express(cond: Condition, form: Questionnaire) -> tuple[str, list[dict[str, Any]]] | None:
    """("all" or "any", enableWhen entries) that hold exactly when ``cond`` does, or None.

    A single entry fits either behaviour, so it combines with any group."""
    if isinstance(cond, (AnswerTest, Missing)):
        return _atoms(cond, form)
    if not isinstance(cond, Group) or cond.kind == "none_of":
        return None
    parts = [_express(c, form) for c in cond.items]
    if any(p is None for p in parts):
        return None
    kept = [p for p in parts if p is not None]
    if len(kept) == 1:
        return kept[0]
    if all(kind == cond.kind or len(atoms) == 1 for kind, atoms in kept):
        return cond.kind, [a for _, atoms in kept for a in atoms]
    return None


def _atoms(test: AnswerTest | Missing, form: Questionnaire) -> tuple[str, list[dict[str, Any]]] | None:
    q = form.get(test.answer)
    if q is None:
        return None
    if isinstance(test, Missing):
        return "all", [{"question": q.id, "operator": "exists", "answerBoolean": test.negated}]

    def atom(operator: str, value: Any) -> dict[str, Any] | None:
        answer = _enable_answer(q, value)
        return None if answer is None else {"question": q.id, "operator": operator, **answer}

    op, arg = test.op, test.arg
    multi = q.type == "multi"
    comparisons = {"below": "<", "above": ">", "at_least": ">=", "at_most": "<="}
    kind = "all"
    if op in ("equals", "is") and not multi:
        found = [atom("=", arg)]
    elif op == "includes" and multi:
        found = [atom("=", arg)]  # on a repeating item, "=" holds when any answer is equal
    elif (op == "one_of" and not multi) or (op == "includes_any" and multi):
        kind, found = "any", [atom("=", v) for v in arg]
    elif op == "not_one_of" and not multi:
        # R4's "!=" also holds when there is no answer; the advisor's test needs one.
        exists = {"question": q.id, "operator": "exists", "answerBoolean": True}
        found = [exists, *(atom("!=", v) for v in arg)]
    elif op in comparisons and q.type in ("int", "number"):
        found = [atom(comparisons[op], arg)]
    elif op == "between" and q.type in ("int", "number"):
        found = [atom(">=", arg[0]), atom("<=", arg[1])]
    else:
        return None
    if any(a is None for a in found):
        return None
    return kind, [a for a in found if a is not None]


def _enable_answer(q: Question, value: Any) -> dict[str, Any] | None:
    """The answer[x] of an enableWhen on ``q``, or None when the value cannot be one of its answers."""
    if q.type == "bool":
        return {"answerBoolean": value} if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if q.type == "int":
        ok = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return {"answerInteger": int(value)} if ok else None
    if q.type == "number":
        return {"answerDecimal": value} if isinstance(value, (int, float)) else None
    if isinstance(value, str) and value in q.values:
        return {"answerCoding": _coding(ANSWER_VALUES, value, q.label_of(value))}
    return None


# ---------------------------------------------------------------------------------------------
# Bundle


def bundle(consultations: Iterable[tuple[Answers, Assessment]]) -> dict[str, Any]:
    """A collection Bundle: per consultation its QuestionnaireResponse, ServiceRequest and
    CarePlan, after the Questionnaires they answer. The same consultations give the same
    Bundle, ids included."""
    forms: dict[str, dict[str, Any]] = {}
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for answers, result in consultations:
        form = qmod.load(answers.questionnaire)
        if form.id not in forms:
            forms[form.id] = json.loads(_questionnaire_json(form.id))
        key = json.dumps([answers.client or "", answers.date.isoformat(), form.id])
        # Two visits on one day are two visits: the count keeps their ids apart.
        seen[key] = seen.get(key, -1) + 1
        entries += _visit_entries(f"{key}#{seen[key]}", answers, result, form, forms[form.id]["version"])
    questionnaires = [{"fullUrl": r["url"], "resource": r} for r in forms.values()]
    found: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if entries:
        found["entry"] = questionnaires + entries
    return found


@cache
def _questionnaire_json(qid: str) -> str:
    """A bundled questionnaire's resource, built once (as text, so every Bundle gets its own copy)."""
    return json.dumps(questionnaire_resource(qmod.load(qid)), ensure_ascii=False)


def _urn(key: str, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{key}/{kind}')}"


def _visit_entries(
    key: str, answers: Answers, result: Assessment, form: Questionnaire, version: str
) -> list[dict[str, Any]]:
    response_url, request_url, plan_url = (_urn(key, kind) for kind in ("response", "referral", "plan"))
    name = answers.client or "Unnamed client"  # ServiceRequest and CarePlan need a subject
    response = _response(answers, form, version)
    request = _service_request(result, name, answers.date, response_url, form.title)
    plan = _care_plan(result, name, answers.date, response_url, request_url)
    return [
        {"fullUrl": response_url, "resource": _pruned(response)},
        {"fullUrl": request_url, "resource": _pruned(request)},
        {"fullUrl": plan_url, "resource": _pruned(plan)},
    ]


def _subject(client: str | None) -> dict[str, Any] | None:
    return {"display": client} if client else None


def _response(answers: Answers, form: Questionnaire, version: str) -> dict[str, Any]:
    unknown = [qid for qid in answers.values if form.get(qid) is None]
    if unknown:
        raise ValueError(f"answers {', '.join(unknown)} are not questions of the '{form.id}' questionnaire")
    groups = []
    for section in form.sections:
        items = [_answer_item(q, answers.values[q.id]) for q in section.questions if q.id in answers.values]
        if items:
            groups.append({"linkId": section.id, "text": section.title, "item": items})
    fit = _fit_response_group(answers.fit)
    if fit:
        groups.append(fit)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{canonical(form.id)}|{version}",
        "status": "completed",
        "subject": _subject(answers.client),
        "authored": answers.date.isoformat(),
        "author": {"display": answers.fit.fitter} if answers.fit.fitter else None,
        "item": groups,
    }


def _answer_item(q: Question, value: Any) -> dict[str, Any]:
    if q.type == "multi":
        chosen = value or [NONE_CHOSEN]
        answer = [{"valueCoding": _coding(ANSWER_VALUES, v, _label(q, v))} for v in chosen]
    elif q.type == "choice":
        answer = [{"valueCoding": _coding(ANSWER_VALUES, value, q.label_of(value))}]
    else:
        answer = [{VALUE_KEY[q.type]: value}]
    return {"linkId": q.id, "text": q.text, "answer": answer}


def _label(q: Question, value: str) -> str:
    return NONE_CHOSEN_LABEL if value == NONE_CHOSEN else q.label_of(value)


def _fit_response_group(fit: fitrecord.FitRecord) -> dict[str, Any] | None:
    form = fitrecord.form()
    parts = []
    for when in fitrecord.WHEN:
        measured: dict[str, float | str] = getattr(fit, when)
        items = []
        for setting in form.settings:
            if setting.id in measured:
                value = measured[setting.id]
                key = "valueString" if isinstance(value, str) else "valueDecimal"
                link_id = f"{FIT_GROUP}.{when}.{setting.id}"
                items.append({"linkId": link_id, "text": setting.label, "answer": [{key: value}]})
        if items:
            parts.append({"linkId": f"{FIT_GROUP}.{when}", "text": WHEN_TEXT[when], "item": items})
    return {"linkId": FIT_GROUP, "text": form.title, "item": parts} if parts else None


def _service_request(
    result: Assessment, client: str, date: dt.date, response_url: str, form_title: str
) -> dict[str, Any]:
    referral = result.referral
    if referral.urgency not in PRIORITY:
        raise ValueError(f"no ServiceRequest priority for the urgency '{referral.urgency}'")
    notes = [
        f"Because: {'; '.join(reasons)}. What to do: {todo} What to tell the doctor: {tell}"
        for reasons, todo, tell in referral.action_groups()
    ]
    return {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "proposal",
        "priority": PRIORITY[referral.urgency],
        "code": {
            "coding": [_coding(ADVICE, REFERRAL_CODE, "Referral to a physical therapist")],
            "text": "Physiotherapy referral: see a physical therapist",
        },
        "subject": {"display": client},
        "authoredOn": date.isoformat(),
        "performerType": {"text": "Physical therapist"},
        "reasonCode": [{"text": reason} for reason in referral.reasons],
        # R4 basedOn cannot name a QuestionnaireResponse; supportingInfo takes any resource.
        "supportingInfo": [{"reference": response_url, "display": f"Answers to the {form_title.lower()}"}],
        "note": [{"text": n} for n in notes],
        "patientInstruction": " ".join([referral.headline, *referral.notes, referral.advice]),
    }


def _care_plan(result: Assessment, client: str, date: dt.date, response_url: str, request_url: str) -> dict[str, Any]:
    referral = result.referral
    # Getting care comes first in every plan; after an emergency or urgent sign it is the
    # whole plan with not riding until assessed, whatever else the result holds.
    activities: list[dict[str, Any]] = [{"reference": {"reference": request_url, "display": referral.headline}}]
    adjustments = [a for a in result.adjustments if not referral.stop_riding or a.id == STOP_RIDING]
    exercises = [] if referral.stop_riding else result.exercises
    for a in adjustments:
        activities.append(_activity(a.id, a.name, f"{a.change} Step: {a.step} Check afterwards: {a.check}", a.because))
    for e in exercises:
        description = f"{e.target}. Dose: {e.dose}. " + " ".join(e.steps)
        if e.cautions:
            description += " Cautions: " + " ".join(e.cautions)
        activities.append(_activity(e.id, e.name, description, e.because))
    return {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "title": "Get care first" if referral.stop_riding else "Bike-fit and exercise plan",
        "description": referral.headline,
        "subject": {"display": client},
        "created": date.isoformat(),
        "period": {"start": date.isoformat()},
        "supportingInfo": [{"reference": response_url}],
        "activity": activities,
        "note": [{"text": f"Re-assess: {result.reassess.advice}"}],
    }


def _activity(code: str, name: str, description: str, because: list[str]) -> dict[str, Any]:
    return {
        "detail": {
            "code": {"coding": [_coding(ADVICE, code, name)], "text": name},
            "reasonCode": [{"text": b} for b in because],
            "status": "not-started",
            "description": description,
        }
    }


def _pruned(value: Any) -> Any:
    """FHIR JSON holds no nulls and no empty strings, arrays or objects: drop them."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != "" and v != [] and v != {}}
    if isinstance(value, list):
        kept_items = [_pruned(v) for v in value]
        return [v for v in kept_items if v is not None and v != "" and v != [] and v != {}]
    return value


# ---------------------------------------------------------------------------------------------
# Reading a Bundle back


# Entries in one Bundle read back: a client's visits with their resources, many times over.
MAX_ENTRIES = 20_000


def read_bundle(data: Any, source: str = "<bundle>") -> list[Answers]:
    """The answers of every consultation in a Bundle ``bundle`` wrote, checked as an answer file
    is; every problem names the entry and the field."""
    problems: list[Problem] = []
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise AdvisorError([Problem(source, f"is not a FHIR Bundle (found {str(found)[:40]!r})", field="resourceType")])
    if data.get("type") != "collection":
        problems.append(Problem(source, f"{_shown(data.get('type'))} is not 'collection'", field="type"))
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        problems.append(Problem(source, "must be a list of entries", field="entry"))
        entries = []
    if len(entries) > MAX_ENTRIES:
        # Each entry becomes objects of its own: a small file of hundreds of thousands of
        # empty visits would need gigabytes. Bounded before any is read.
        raise AdvisorError(
            [
                Problem(
                    source,
                    f"has {len(entries):,} entries; a client's Bundle may hold at most {MAX_ENTRIES:,}",
                    field="entry",
                )
            ]
        )
    visits: list[Answers] = []
    for i, entry in enumerate(entries):
        at = f"entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            problems.append(Problem(source, "has no resource", field=at))
            continue
        kind = resource.get("resourceType")
        if kind not in WRITTEN:
            allowed = ", ".join(WRITTEN)
            problems.append(
                Problem(
                    source,
                    f"{_shown(kind)} is not a resource bikefit-advisor writes; allowed: {allowed}",
                    field=f"{at}.resource.resourceType",
                )
            )
        elif kind == "Questionnaire" and not str(resource.get("url", "")).startswith(QUESTIONNAIRE_BASE):
            problems.append(
                Problem(
                    source,
                    f"{_shown(resource.get('url'))} is not a questionnaire of bikefit-advisor "
                    f"(its URLs start {QUESTIONNAIRE_BASE})",
                    field=f"{at}.resource.url",
                )
            )
        elif kind == "QuestionnaireResponse":
            visit = _ResponseReader(source, f"{at}.resource", problems).read(resource)
            if visit is not None:
                visits.append(visit)
        # ServiceRequest and CarePlan follow from the answers: assessing them again gives them.
    if problems:
        raise AdvisorError(problems[:20])
    return visits


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


class _ResponseReader:
    """One QuestionnaireResponse back into an answer document, checked as an answer file is."""

    def __init__(self, source: str, at: str, problems: list[Problem]) -> None:
        self.source, self.at, self.problems = source, at, problems
        self.where: dict[str, str] = {}  # an answer file field -> where its item is in the response

    def fail(self, message: str, field: str) -> None:
        self.problems.append(Problem(self.source, message, field=field))

    def read(self, resource: dict[str, Any]) -> Answers | None:
        before = len(self.problems)
        form = self._form(resource.get("questionnaire"))
        if resource.get("status") != "completed":
            self.fail(f"{_shown(resource.get('status'))} is not 'completed'", f"{self.at}.status")
        authored = resource.get("authored")
        if not isinstance(authored, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", authored):
            self.fail(f"{_shown(authored)} is not a date of the form YYYY-MM-DD", f"{self.at}.authored")
        client = self._client(resource.get("subject"))
        values: dict[str, Any] = {}
        fit: dict[str, Any] = {}
        if form is not None:
            for g, group in enumerate(self._items(resource, self.at)):
                self._group(group, f"{self.at}.item[{g}]", form, values, fit)
        fitter = self._fitter(resource.get("author"))
        if fitter is not None:
            fit[fitrecord.FITTER] = fitter
        if form is None or len(self.problems) > before:
            return None
        doc = {
            "questionnaire": form.id,
            "client": client,
            "date": str(authored)[:10],
            "answers": values,
            "fit": fit or None,
        }
        try:
            return answers_mod.validate(doc, self.source)
        except AdvisorError as err:
            for p in err.problems:
                field, prefix = self._located(p.field)
                self.fail(prefix + p.message, field)
            return None

    def _form(self, reference: Any) -> Questionnaire | None:
        field = f"{self.at}.questionnaire"
        if not isinstance(reference, str) or not reference.startswith(QUESTIONNAIRE_BASE):
            self.fail(
                f"{_shown(reference)} is not a questionnaire of bikefit-advisor (its URLs start {QUESTIONNAIRE_BASE})",
                field,
            )
            return None
        qid = reference.removeprefix(QUESTIONNAIRE_BASE).split("|", 1)[0]
        names = qmod.available()
        if qid not in names:
            self.fail(f"'{qid}' is not a questionnaire{did_you_mean(qid, names)}; allowed: {', '.join(names)}", field)
            return None
        return qmod.load(qid)

    def _client(self, subject: Any) -> str | None:
        if subject is None:
            return None
        display = subject.get("display") if isinstance(subject, dict) else None
        if not isinstance(display, str):
            self.fail("must be a reference with the client's name as its display", f"{self.at}.subject")
            return None
        return display

    def _fitter(self, author: Any) -> Any:
        """Who recorded the answers: the fitter, by name (checked as the answer file's is)."""
        if author is None:
            return None
        display = author.get("display") if isinstance(author, dict) else None
        if display is None:
            self.fail("must be a reference with the fitter's name as its display", f"{self.at}.author")
        return display

    def _items(self, node: dict[str, Any], at: str) -> list[dict[str, Any]]:
        items = node.get("item", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            self.fail("must be a list of items", f"{at}.item")
            return []
        seen: set[Any] = set()
        for k, item in enumerate(items):
            if not isinstance(item.get("linkId"), str):
                # A list or object as linkId cannot name a question (and cannot be compared).
                self.fail(f"linkId {_shown(item.get('linkId'))} must be a text naming a question", f"{at}.item[{k}]")
                return []
            if item.get("linkId") in seen:
                self.fail(
                    f"'{item.get('linkId')}' appears twice; answers to one question share one item", f"{at}.item[{k}]"
                )
            seen.add(item.get("linkId"))
        return items

    def _group(
        self, group: dict[str, Any], at: str, form: Questionnaire, values: dict[str, Any], fit: dict[str, Any]
    ) -> None:
        link_id = group.get("linkId")
        if link_id == FIT_GROUP:
            for w, part in enumerate(self._items(group, at)):
                self._fit_part(part, f"{at}.item[{w}]", fit)
            return
        section = next((s for s in form.sections if s.id == link_id), None)
        if section is None:
            allowed = [s.id for s in form.sections] + [FIT_GROUP]
            self.fail(
                f"{_shown(link_id)} is not a section of the '{form.id}' questionnaire; allowed: {', '.join(allowed)}",
                f"{at}.linkId",
            )
            return
        for k, item in enumerate(self._items(group, at)):
            here = f"{at}.item[{k}]"
            qid = item.get("linkId")
            q = form.get(qid) if isinstance(qid, str) else None
            if q is None or q.section != section.id:
                asked = ", ".join(x.id for x in section.questions)
                self.fail(f"{_shown(qid)} is not a question of the section '{section.id}'; allowed: {asked}", here)
                continue
            self.where[f"answers.{q.id}"] = here
            value = self._answer(item, here, q)
            if value is not None:
                values[q.id] = value

    def _answers(self, item: dict[str, Any], at: str, key: str, many: bool) -> list[Any] | None:
        """The ``key`` values of an item's answers; None (after saying why) when they are not that."""
        answers = item.get("answer")
        if not isinstance(answers, list) or not answers:
            self.fail("has no answer; an item is written only for a question answered", at)
            return None
        if len(answers) > 1 and not many:
            self.fail(f"has {len(answers)} answers; this question takes one", at)
            return None
        found = []
        for a, answer in enumerate(answers):
            keys = [k for k in answer if k.startswith("value")] if isinstance(answer, dict) else []
            if keys != [key]:
                self.fail(f"must hold {key}, found {', '.join(keys) or 'no value'}", f"{at}.answer[{a}]")
                return None
            found.append(answer[key])
        return found

    def _answer(self, item: dict[str, Any], at: str, q: Question) -> Any:
        key = VALUE_KEY[q.type]
        found = self._answers(item, at, key, many=q.type == "multi")
        if found is None:
            return None
        if q.type in ("choice", "multi"):
            codes = []
            for a, coding in enumerate(found):
                code = self._code(coding, f"{at}.answer[{a}].{key}")
                if code is None:
                    return None
                codes.append(code)
            if q.type == "choice":
                return codes[0]
            if NONE_CHOSEN in codes:
                if len(codes) > 1:
                    self.fail(f"'{NONE_CHOSEN}' cannot be chosen together with other values", at)
                    return None
                return []
            return codes
        value = found[0]
        # The answer file's checks (range, choices) come after; here only the JSON type.
        if q.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(f"{_shown(value)} is not an integer", f"{at}.answer[0].{key}")
            return None
        if q.type == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.fail(f"{_shown(value)} is not a decimal number", f"{at}.answer[0].{key}")
            return None
        return value

    def _code(self, coding: Any, at: str) -> str | None:
        if not isinstance(coding, dict) or coding.get("system") != ANSWER_VALUES:
            system = coding.get("system") if isinstance(coding, dict) else None
            self.fail(f"{_shown(system)} is not the code system of the answers ({ANSWER_VALUES})", f"{at}.system")
            return None
        code = coding.get("code")
        if not isinstance(code, str):
            self.fail(f"{_shown(code)} is not a code", f"{at}.code")
            return None
        return code

    def _fit_part(self, part: dict[str, Any], at: str, fit: dict[str, Any]) -> None:
        when = str(part.get("linkId", "")).removeprefix(f"{FIT_GROUP}.")
        if when not in fitrecord.WHEN:
            allowed = ", ".join(f"{FIT_GROUP}.{w}" for w in fitrecord.WHEN)
            self.fail(
                f"{_shown(part.get('linkId'))} is not a part of the fit record; allowed: {allowed}", f"{at}.linkId"
            )
            return
        measured = fit.setdefault(when, {})
        for k, item in enumerate(self._items(part, at)):
            here = f"{at}.item[{k}]"
            sid = str(item.get("linkId", "")).removeprefix(f"{FIT_GROUP}.{when}.")
            setting = fitrecord.form().setting(sid)
            if setting is None:
                self.fail(f"{_shown(item.get('linkId'))} is not a setting of the fit record", here)
                continue
            self.where[f"fit.{when}.{sid}"] = here
            key = "valueString" if setting.type == "text" else "valueDecimal"
            found = self._answers(item, here, key, many=False)
            if found is not None:
                measured[sid] = found[0]

    def _located(self, field: str | None) -> tuple[str, str]:
        """Where in the response an answer-file field is, and what to say it is."""
        if field is not None and field in self.where:
            return self.where[field], f"answer to '{field.split('.')[-1]}': "
        named = {"date": "authored", "client": "subject.display", "answers": "item", "fit.fitter": "author.display"}
        return f"{self.at}.{named.get(field or '', '')}".rstrip("."), ""
