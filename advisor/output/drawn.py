"""Exercise pictures drawn once per process: a catalog's pictures never change while it runs,
and every report of a batch or a studio draws the same few again."""

from __future__ import annotations

from advisor.core.rulebase.figures import Picture
from advisor.output.diagram import Diagram
from advisor.output.pictures import exercise_picture

# id(picture) -> (the picture, its drawing). The picture is kept, so its id is never reused
# while the entry exists, and a hit is checked to be the very same object.
_drawn: dict[int, tuple[Picture, Diagram]] = {}


def picture_diagram(picture: Picture) -> Diagram:
    """``exercise_picture(picture)``, made once for each picture object."""
    hit = _drawn.get(id(picture))
    if hit is not None and hit[0] is picture:
        return hit[1]
    if len(_drawn) > 256:  # a changed knowledge base loaded in a long-running process
        _drawn.clear()
    drawn = exercise_picture(picture)
    _drawn[id(picture)] = (picture, drawn)
    return drawn
