"""The expression tree, its error, and the way back to text."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

MAX_DIGITS = 15  # digits of a number literal


class ExpressionError(ValueError):
    """Anything wrong with an expression: syntax, names, types, or a value it
    cannot compute. `position` is the 0-based character where known."""

    def __init__(self, message: str, position: int | None = None):
        self.message = message
        self.position = position
        super().__init__(message if position is None else f"{message} (at character {position + 1})")


# --- the tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: Fraction


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Negative:
    operand: Node


@dataclass(frozen=True)
class Arithmetic:
    """`first op term op term …` at one precedence level (+ and -, or * and /)."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Comparison:
    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Logical:
    op: str  # "and" or "or"
    operands: tuple[Node, ...]


Node = Number | Name | Negative | Arithmetic | Comparison | Not | Logical


@dataclass(frozen=True)
class Expression:
    text: str
    tree: Node

    @property
    def names(self) -> frozenset[str]:
        return names_in(self.tree)


# --- names and types ----------------------------------------------------------------


def names_in(node: Node) -> frozenset[str]:
    match node:
        case Name(name):
            return frozenset({name})
        case Number():
            return frozenset()
        case Negative(operand) | Not(operand):
            return names_in(operand)
        case Arithmetic(first, rest) | Comparison(first, rest):
            return names_in(first).union(*(names_in(term) for _, term in rest))
        case Logical(_, operands):
            return frozenset().union(*(names_in(operand) for operand in operands))
    raise ExpressionError(f"not part of the grammar: {type(node).__name__}")


# --- back to text ---------------------------------------------------------------------

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "unary": 7, "atom": 8}


def _precedence(node: Node) -> int:
    match node:
        case Logical(op, _):
            return _PRECEDENCE[op]
        case Not():
            return _PRECEDENCE["not"]
        case Comparison():
            return _PRECEDENCE["compare"]
        case Arithmetic(_, rest):
            return _PRECEDENCE[rest[0][0]]
        case Negative():
            return _PRECEDENCE["unary"]
    return _PRECEDENCE["atom"]


def _wrapped(node: Node, above: int) -> str:
    """`node` as an operand that must bind tighter than `above`."""
    text = unparse(node)
    return f"({text})" if _precedence(node) <= above else text


def unparse(node: Node) -> str:
    """The expression as text with only the parentheses it needs; parsing the
    text gives the same tree back."""
    match node:
        case Number(value):
            return _number_text(value)
        case Name(name):
            return name
        case Negative(operand):
            return "-" + _wrapped(operand, _PRECEDENCE["unary"] - 1)
        case Arithmetic(first, rest):
            level = _precedence(node)
            return _wrapped(first, level - 1) + "".join(f" {op} {_wrapped(term, level)}" for op, term in rest)
        case Comparison(first, rest):
            level = _PRECEDENCE["compare"]
            return _wrapped(first, level) + "".join(f" {op} {_wrapped(term, level)}" for op, term in rest)
        case Not(operand):
            return "not " + _wrapped(operand, _PRECEDENCE["not"] - 1)
        case Logical(op, operands):
            return f" {op} ".join(_wrapped(operand, _PRECEDENCE[op]) for operand in operands)
    raise ExpressionError(f"not part of the grammar: {type(node).__name__}")


def _number_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    # Literals are finite decimals; anything else (a computed value) as a fraction.
    decimal = value
    places = 0
    while decimal.denominator != 1 and places < MAX_DIGITS:
        decimal *= 10
        places += 1
    if decimal.denominator != 1:
        return f"({value.numerator} / {value.denominator})"
    digits = str(decimal.numerator).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}"
