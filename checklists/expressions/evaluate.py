"""The value of a checked expression for a set of answers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

from .check import ORDERINGS
from .tree import Arithmetic, Comparison, Expression, ExpressionError, Logical, Name, Negative, Node, Not, Number, unparse

# --- evaluation ---------------------------------------------------------------------

Value = bool | Fraction


def as_value(value) -> Value:
    """A question's answer as the evaluator computes with it: booleans stay
    booleans, finite numbers become exact fractions."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(value)
    raise ExpressionError(f"{value!r} is neither a finite number nor yes/no")


def evaluate(expression: Expression, values: Mapping[str, object]) -> Value:
    """The value of a checked expression for the given answers (every name must
    have one). Division by zero and missing or unusable values raise
    ExpressionError."""
    return _evaluate(expression.tree, values)


def _number(node: Node, values: Mapping[str, object]) -> Fraction:
    value = _evaluate(node, values)
    if isinstance(value, bool):
        raise ExpressionError(f"`{unparse(node)}` is yes/no, not a number")
    return value


def _boolean(node: Node, values: Mapping[str, object]) -> bool:
    value = _evaluate(node, values)
    if not isinstance(value, bool):
        raise ExpressionError(f"`{unparse(node)}` is a number, not yes/no")
    return value


def _evaluate(node: Node, values: Mapping[str, object]) -> Value:
    match node:
        case Number(value):
            return value
        case Name(name):
            if name not in values or values[name] is None:
                raise ExpressionError(f"no value for '{name}'")
            return as_value(values[name])
        case Negative(operand):
            return -_number(operand, values)
        case Arithmetic(first, rest):
            return _arithmetic(first, rest, values)
        case Comparison(first, rest):
            return _comparison(first, rest, values)
        case Not(operand):
            return not _boolean(operand, values)
        case Logical("and", operands):
            return all(_boolean(operand, values) for operand in operands)
        case Logical("or", operands):
            return any(_boolean(operand, values) for operand in operands)
    raise ExpressionError(f"not part of the grammar: {type(node).__name__}")


def _arithmetic(first: Node, rest, values) -> Fraction:
    total = _number(first, values)
    for op, term in rest:
        operand = _number(term, values)
        if op == "+":
            total += operand
        elif op == "-":
            total -= operand
        elif op == "*":
            total *= operand
        elif operand == 0:
            raise ExpressionError(f"division by zero: `{unparse(term)}` is 0")
        else:
            total /= operand
    return total


def _comparison(first: Node, rest, values) -> bool:
    left = _evaluate(first, values)
    for op, term in rest:
        right = _evaluate(term, values)
        if op in ORDERINGS and (isinstance(left, bool) or isinstance(right, bool)):
            raise ExpressionError(f"'{op}' orders numbers, not yes/no")
        if not _compare(op, left, right):
            return False
        left = right
    return True


def _compare(op: str, left: Value, right: Value) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def sides(expression: Expression, values: Mapping[str, object]) -> tuple[tuple[str, Value], ...]:
    """For a rule that is one comparison, each compared term as text with its
    value (`ballots_issued + ballots_spoiled + ballots_unused` = 1005), so an
    explanation can show the numbers; otherwise ()."""
    tree = expression.tree
    if not isinstance(tree, Comparison):
        return ()
    terms = (tree.first, *(term for _, term in tree.rest))
    return tuple((unparse(term), _evaluate(term, values)) for term in terms)


def number_display(value: Value) -> str:
    """A value for people: yes/no, an integer, or a decimal to 4 places."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.4f}".rstrip("0").rstrip(".")
