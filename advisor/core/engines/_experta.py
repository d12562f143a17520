"""The one place experta is imported from.

experta 1.9.4 (the latest release) pins frozendict 1.2, which subclasses
``collections.Mapping``; that alias was removed in Python 3.10, so importing experta
fails there. experta's own test suite passes once the alias points at
``collections.abc.Mapping`` (upstream issue nilp0inter/experta#34). Restore it before
experta is first imported, and import experta nowhere else.
"""

import collections
import collections.abc

if not hasattr(collections, "Mapping"):
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]

from experta import (
    AND,
    AS,
    NOT,
    OR,
    Fact,
    KnowledgeEngine,
    P,
    Rule,
    W,
)
from experta.fact import InitialFact
from experta.fieldconstraint import ANDFC, NOTFC, ORFC, L
from experta.matchers.rete import ReteMatcher
from experta.matchers.rete.check import FeatureCheck, SameContextCheck
from experta.matchers.rete.mixins import NoMemory
from experta.matchers.rete.nodes import BusNode, ConflictSetNode, FeatureTesterNode, NotNode, OrdinaryMatchNode
from experta.matchers.rete.utils import prepare_rule, wire_rule

__all__ = [
    "AND",
    "ANDFC",
    "AS",
    "NOT",
    "NOTFC",
    "OR",
    "ORFC",
    "BusNode",
    "ConflictSetNode",
    "Fact",
    "FeatureCheck",
    "FeatureTesterNode",
    "InitialFact",
    "KnowledgeEngine",
    "L",
    "NoMemory",
    "NotNode",
    "OrdinaryMatchNode",
    "P",
    "ReteMatcher",
    "Rule",
    "SameContextCheck",
    "W",
    "prepare_rule",
    "wire_rule",
]
