"""experta's Rete matcher, made to cost what an assessment changes rather than what the rule base holds.

experta 1.9.4's ``ReteMatcher`` does three things per assessment whose cost grows with the
whole rule base, so a rule base 8 times larger ran about 38 times slower:

- after every rule firing it asks every rule's conflict-set node for new activations, even
  though only the nodes a change reached can have any (firings x rules);
- a declared fact is tested against every literal its type's patterns name: each finding
  declared was compared with every finding id some rule waits for (findings x finding ids);
- a reset walks the network recursively, visiting a shared node once per path to it.

Building the network, once per process, cost about 40 ms of every command's start: experta
rewrites each rule into disjunctive normal form by repeated passes until it stops changing,
and wires each rule through a dispatch table it makes afresh for that rule.

``AdvisorMatcher`` keeps experta's network, nodes, tokens, agenda and strategy. Per
assessment, conflict-set nodes mark themselves when a token reaches them and only marked
nodes are asked (in the network's own order, so ties on the agenda break as before); sibling
tests of one field against a literal are found through a dict on the field's value (the
"alpha node hashing" of CLIPS and Drools); a reset clears each node with a memory once. At
build, a rule of plain patterns, AND and OR is put in experta's prepared form in one pass and
wired with experta's own node classes in the same way; any other rule goes through experta's
``prepare_rule`` and ``wire_rule``. tests/test_engine.py holds the prepared rules equal to
``prepare_rule``'s, over the rule base and generated conditions, and the firings equal to
those of experta's own matcher.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from advisor.core.engines._experta import (
    AND,
    ANDFC,
    NOT,
    NOTFC,
    OR,
    ORFC,
    BusNode,
    ConflictSetNode,
    Fact,
    FeatureCheck,
    FeatureTesterNode,
    InitialFact,
    L,
    NoMemory,
    NotNode,
    OrdinaryMatchNode,
    ReteMatcher,
    Rule,
    SameContextCheck,
    prepare_rule,
    wire_rule,
)

# A fork is indexed once it has this many literal tests of one field: below it a loop is as quick.
INDEX_FROM = 4


class _MarkingConflictSetNode(ConflictSetNode):
    """A conflict-set node that tells its matcher when a token reaches it."""

    changed: dict[Any, None]

    def _activate(self, token: Any) -> None:
        self.changed[self] = None
        super()._activate(token)


class _LiteralIndex:
    """Neighbouring children of one alpha node that each test one field against a literal,
    found by the field's value. A dict finds what ``==`` finds for the values answers hold
    (str, int, float, bool and tuples of them, whose hash agrees with their equality); each
    child found still runs its own test."""

    def __init__(self, field: str, children: list[Any]) -> None:
        self.field = field
        self.children = children  # kept so walks over the network still see every node
        self.matcher = None
        self.__name__ = f"index on {field}"  # experta's print_network names each callback
        self.by_value: dict[Any, list[Callable[[Any], Any]]] = {}
        for child in children:
            self.by_value.setdefault(child.node.matcher.how.value, []).append(child.callback)

    def __call__(self, token: Any) -> None:
        (fact,) = token.data
        try:
            value = fact[self.field]
        except KeyError:
            return  # experta's test fails on a missing field
        try:
            callbacks = self.by_value.get(value, ())
        except TypeError:  # an unhashable value: test every child, as experta would
            callbacks = [child.callback for child in self.children]
        for callback in callbacks:
            callback(token)

    def reset(self) -> None:
        for child in self.children:
            child.node.reset()


def _literal_field(child: Any) -> str | None:
    """The field a child tests against a literal (with no binding), or None."""
    node = child.node
    if type(node) is not FeatureTesterNode or not isinstance(node.matcher, FeatureCheck):
        return None
    check = node.matcher
    if not isinstance(check.how, L) or check.how.__bind__ is not None:
        return None
    if not isinstance(check.what, str) or "__" in check.what:
        return None  # nested or special fields are read by experta's own accessor
    try:
        hash(check.how.value)
    except TypeError:
        return None
    return check.what


def _index_literals(node: Any, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    for child in list(node.children):
        _index_literals(child.node, seen)
    if not isinstance(node, (FeatureTesterNode, BusNode)):
        return  # only alpha nodes fork on a fact's fields
    # Runs of neighbouring children that test one field against a literal each: a run becomes
    # one index in its own place, so tokens still reach the children in experta's order.
    children: list[Any] = []
    run: list[Any] = []
    run_field = ""
    for child in node.children:
        field = _literal_field(child)
        if run and field != run_field:
            children.extend(_indexed(run_field, run))
            run = []
        if field is None:
            children.append(child)
        else:
            run.append(child)
            run_field = field
    children.extend(_indexed(run_field, run))
    node.children[:] = children


def _indexed(field: str, run: list[Any]) -> list[Any]:
    """A run of literal tests on ``field``: one index in its place when long enough, else as it was."""
    if len(run) < INDEX_FROM:
        return run
    index = _LiteralIndex(field, run)
    return [type(run[0])(index, index)]


def _nodes(root: Any) -> list[Any]:
    """Every node below ``root`` once, parents before children."""
    found: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in found:
            continue
        found[id(node)] = node
        stack.extend(child.node for child in reversed(node.children))
    return list(found.values())


def _plain(pattern: Any) -> bool:
    """A pattern, or a negated one, with no field constraint experta would rewrite."""
    fact = pattern[0] if isinstance(pattern, NOT) and len(pattern) == 1 else pattern
    return isinstance(fact, Fact) and not any(isinstance(v, (ORFC, ANDFC, NOTFC)) for v in fact.values())


def _branch(element: Any) -> list[Any] | None:
    """A branch of an OR as one conjunction of plain patterns, or None for anything deeper."""
    if _plain(element):
        return [element]
    if isinstance(element, AND) and all(_plain(p) for p in element):
        return list(element)
    return None


def _terms(rule: Rule) -> list[list[Any]] | None:
    """The rule as a disjunction of conjunctions of plain patterns, in the order experta's DNF
    rewriting lists them (distributing over each OR's branches, the first element varying
    slowest), for a rule of plain patterns and ORs whose branches are a pattern or an AND of
    patterns: the shape the rule files' "any" gives. None for any other rule (an OR within a
    branch, say), which is left to experta, whose order for those is subtler."""
    choices: list[list[list[Any]]] = []
    for element in rule:
        if _plain(element):
            choices.append([[element]])
        elif isinstance(element, OR):
            branches = [_branch(item) for item in element]
            if any(b is None for b in branches):
                return None
            choices.append([b for b in branches if b is not None])
        else:
            return None
    return [[p for part in combination for p in part] for combination in itertools.product(*choices)]


def _prepared(rule: Rule) -> Rule:
    """What experta's ``prepare_rule`` makes of ``rule``, made in one pass for rules of plain
    patterns, AND and OR (experta rewrites a rule several times over until it stops changing);
    any other rule goes through ``prepare_rule`` itself. A test holds the two equal."""
    terms = _terms(rule) if rule else None
    if not terms:
        return prepare_rule(rule)
    if len(terms) == 1:
        body = terms[0]
        if isinstance(body[0], NOT):
            body = [InitialFact(), *body]
        return rule.new_conditions(*body)  # a copy not bound to the engine, as prepare_rule returns

    def branch(term: list[Any]) -> Any:
        if len(term) == 1:
            return AND(InitialFact(), term[0]) if isinstance(term[0], NOT) else term[0]
        return AND(InitialFact(), *term) if isinstance(term[0], NOT) else AND(*term)

    return rule.new_conditions(OR(*[branch(term) for term in terms]))


def _wire(rule: Rule, alpha_terminals: dict[Any, Any], lhs: Any) -> None:
    """experta's ``wire_rule`` for a conjunction of plain patterns: a chain of join nodes (a
    not-node for each negated pattern) ending in the rule's conflict-set node, built without
    the dispatch table ``wire_rule`` makes afresh for every rule."""

    def terminal(pattern: Any) -> Any:
        return alpha_terminals[pattern[0] if isinstance(pattern, NOT) else pattern]

    patterns = [lhs] if isinstance(lhs, Fact) else list(lhs)
    if len(patterns) == 1:
        last = terminal(patterns[0])
    else:
        last = None
        for first, second in itertools.pairwise(patterns):
            join = (NotNode if isinstance(second, NOT) else OrdinaryMatchNode)(SameContextCheck())
            left = terminal(first) if last is None else last
            left.add_child(join, join.activate_left)
            right = terminal(second)
            right.add_child(join, join.activate_right)
            last = join
    conflict_set_node = ConflictSetNode(rule)
    last.add_child(conflict_set_node, conflict_set_node.activate)


class AdvisorMatcher(ReteMatcher):
    """experta's Rete matcher with the walks above made proportional to the change."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self._changed: dict[Any, None] = {}
        conflict_set_nodes = self._get_conflict_set_nodes()
        self._rank = {node: i for i, node in enumerate(conflict_set_nodes)}
        for node in conflict_set_nodes:
            node.__class__ = _MarkingConflictSetNode
            node.changed = self._changed
        self._with_memory = [node for node in _nodes(self.root_node) if not isinstance(node, (NoMemory, _LiteralIndex))]
        _index_literals(self.root_node, set())

    @staticmethod
    def prepare_ruleset(engine: Any) -> set[Rule]:
        return {_prepared(rule) for rule in engine.get_rules()}

    @staticmethod
    def build_beta_part(ruleset: set[Rule], alpha_terminals: dict[Any, Any]) -> None:
        for rule in ruleset:
            for lhs in rule[0] if isinstance(rule[0], OR) else (rule,):
                if isinstance(lhs, Fact) or (isinstance(lhs, (Rule, AND)) and all(_plain(p) for p in lhs)):
                    _wire(rule, alpha_terminals, lhs)
                else:
                    wire_rule(rule, alpha_terminals, lhs=lhs)

    def changes(self, adding: Any = None, deleting: Any = None) -> tuple[list[Any], list[Any]]:
        for fact in deleting or ():
            self.root_node.remove(fact)
        for fact in adding or ():
            self.root_node.add(fact)
        added: list[Any] = []
        removed: list[Any] = []
        if self._changed:
            reached = sorted(self._changed, key=self._rank.__getitem__)
            self._changed.clear()
            for node in reached:
                node_added, node_removed = node.get_activations()
                added.extend(node_added)
                removed.extend(node_removed)
        return added, removed

    def reset(self) -> None:
        for node in self._with_memory:
            node._reset()
