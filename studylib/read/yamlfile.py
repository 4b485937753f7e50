"""YAML read safely: every YAML file studylib reads (study.yml, findings.yml, the codebooks, the
team's predictions and reflections) goes through :func:`load_yaml`.

A few kilobytes of YAML can unfold into billions of values through aliases that refer to aliases
(a "billion laughs"), or into a loop through an alias that contains itself; either takes the
machine, or a traceback, in whatever walks the values next. The file is composed first, its size
with every alias unfolded is counted (each node once, so the count itself is quick), and a file
that unfolds too far, loops, or is too large is refused in words before any value is built.
"""
from __future__ import annotations

import yaml

__all__ = ["load_yaml", "YAML_VALUES", "YAML_BYTES"]

#: The most values a YAML file of a study may unfold to, every alias expanded (the sample's
#: study.yml has about 150), and the largest file read.
YAML_VALUES = 100_000
YAML_BYTES = 5 * 2**20


def load_yaml(text: str, name: str | None = None):
    """YAML as a team writes it: like ``yaml.safe_load``, except that a date that is no date
    (``2025-13-45``) stays text for the schema to name, instead of failing inside the parser, and
    that YAML too large, unfolding too far through aliases, or looping is refused in words
    (:class:`~studylib.errors.ConfigError`) before any value is built.

    With ``name`` (the file's), text that is not YAML raises :class:`ConfigError` naming the
    file, the line and the column.
    """
    _refuse_unsafe(text, name or "the YAML file")
    try:
        return yaml.load(text, Loader=_TeamLoader)
    except yaml.YAMLError as exc:
        if name is None:
            raise
        from ..errors import ConfigError
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{name} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None


class _TeamLoader(yaml.SafeLoader):
    """SafeLoader, with a date that is no date kept as text."""


def _timestamp(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_TeamLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _refuse_unsafe(text: str, name: str) -> None:
    """Refuse, in words, YAML too large, unfolding past :data:`YAML_VALUES`, or looping."""
    from ..errors import ConfigError
    if len(text) > YAML_BYTES:
        raise ConfigError(f"{name} is {len(text) / 2**20:.1f} MB: a study's YAML files are a few kB; is it the right file?")
    if "*" not in text:           # no alias: nothing can unfold or loop
        return
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return                     # not YAML: the loader below says where
    if root is None:
        return
    unfolded: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        children = ([part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if finished:
            open_nodes.discard(id(node))
            unfolded[id(node)] = 1 + sum(unfolded[id(child)] for child in children)
            if unfolded[id(node)] > YAML_VALUES:
                raise ConfigError(f"{name} unfolds to more than {YAML_VALUES:,} values through its YAML aliases "
                                  "(*name): write the values out where they are used, or use fewer aliases")
            continue
        if id(node) in unfolded:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise ConfigError(f"{name} has a YAML alias that contains itself (line {child.start_mark.line + 1}): "
                                  "it would never end; write the value out instead")
            if id(child) not in unfolded:
                stack.append((child, False))
