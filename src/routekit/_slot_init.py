"""A faster ``__init__`` for frozen, slotted attrs records that a hot path builds by the thousand.

attrs' ``__init__`` for a frozen class sets every field through ``object.__setattr__``, which looks the
field's slot up on the type each time. Calling each slot's own setter does the same job for about half
the cost (0.24 µs against 0.44 µs for the seven fields of ``Offered``, with ``timeit``). The router
builds three to four events per contact, so it pays.

The replacement keeps the record's keyword-only signature, its converters and its plain defaults; it
refuses a class it could not build faithfully (validators, factories, ``__attrs_post_init__``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

C = TypeVar("C", bound=type)
T = TypeVar("T")

_FACTORY: type = type(attrs.Factory(list))  # attrs' stubs declare Factory as a function, not a class


def _checked_fields(cls: type) -> tuple[Any, ...]:
    """The fields of ``cls``, if the slot setters can build it as attrs does; else a ``TypeError``."""
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        raise TypeError(f"{cls.__name__} has a pre- or post-init hook")
    fields = attrs.fields(cls)
    for field in fields:
        name = field.name
        if field.validator is not None or not field.init or not field.kw_only:
            raise TypeError(f"{cls.__name__}.{name} has a validator, no init or a positional argument")
        if isinstance(field.default, _FACTORY) or isinstance(field.converter, attrs.Converter):
            raise TypeError(f"{cls.__name__}.{name} has a factory or a converter object")
    return tuple(fields)


def _compiled(cls: type, source: str, namespace: dict[str, Any], what: str) -> Any:
    # The way attrs itself builds __init__: one straight-line function per class, under a file name that
    # says where it came from in tracebacks and profiles.
    exec(compile(source, f"<{what} {cls.__module__}.{cls.__qualname__}>", "exec"), namespace)
    return namespace["function"]


def with_slot_init(cls: C) -> C:
    """Give the frozen, slotted, keyword-only attrs class ``cls`` an ``__init__`` that sets slots directly.

    Raises:
        TypeError: ``cls`` has a field this ``__init__`` would not treat as attrs does.
    """
    namespace: dict[str, Any] = {}
    params: list[str] = []
    body: list[str] = []
    for field in _checked_fields(cls):
        name = field.name
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        if field.default is attrs.NOTHING:
            params.append(name)
        else:
            namespace[f"_default_{name}"] = field.default
            params.append(f"{name}=_default_{name}")
        value = name
        if field.converter is not None:
            namespace[f"_convert_{name}"] = field.converter
            value = f"_convert_{name}({name})"
        body.append(f"    _set_{name}(self, {value})")
    signature = ", ".join(["self", "*", *params] if params else ["self"])
    source = f"def function({signature}):\n" + "\n".join(body or ["    pass"]) + "\n"
    init = _compiled(cls, source, namespace, "slot init")
    init.__name__ = "__init__"
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[misc]
    return cls


def slot_builder(cls: Callable[..., T]) -> Callable[..., T]:
    """A positional constructor of the frozen, slotted attrs class ``cls``, for values already checked.

    It takes every field, in the class's order, and sets each slot as given: no defaults, and no
    converters, so each value must already be what the converter would make of it. A keyword call of a
    class costs about as much again as setting its slots (0.72 µs against 0.39 µs for ``Offered``), and
    the router builds three to four events per contact; anything else builds records with ``cls(...)``.

    Raises:
        TypeError: ``cls`` has a field the slot setters would not treat as attrs does.
    """
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    names = [field.name for field in _checked_fields(cls)]  # type: ignore[arg-type]
    body = ["    self = _new(_cls)"]
    for name in names:
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        body.append(f"    _set_{name}(self, {name})")
    source = f"def function({', '.join(names)}):\n" + "\n".join([*body, "    return self"]) + "\n"
    build: Callable[..., T] = _compiled(cls, source, namespace, "slot builder")  # type: ignore[arg-type]
    return build
