"""Names and types: a rule may only compute with numbers and combine yes/no conditions."""

from __future__ import annotations

from collections.abc import Mapping

from .tree import Arithmetic, Comparison, Expression, ExpressionError, Logical, Name, Negative, Node, Not, Number, unparse

NUMBER = "number"
BOOLEAN = "boolean"
ORDERINGS = frozenset({"<", "<=", ">", ">="})


def check_types(expression: Expression, types: Mapping[str, str], *, result: str = BOOLEAN) -> None:
    """Refuses unknown names and operations on the wrong type; `types` maps each
    usable name to NUMBER or BOOLEAN, and the whole must be of type `result`."""
    unknown = sorted(expression.names - set(types))
    if unknown:
        raise ExpressionError("unknown question " + ", ".join(f"'{name}'" for name in unknown))
    found = _type_of(expression.tree, types)
    if found != result:
        raise ExpressionError(f"the rule must be a {_TYPE_WORD[result]}, and this is a {_TYPE_WORD[found]}")


_TYPE_WORD = {NUMBER: "number", BOOLEAN: "yes/no condition"}


def _need(node: Node, types: Mapping[str, str], wanted: str, what: str) -> None:
    found = _type_of(node, types)
    if found != wanted:
        raise ExpressionError(f"{what} needs a {_TYPE_WORD[wanted]}, and `{unparse(node)}` is a {_TYPE_WORD[found]}")


def _type_of(node: Node, types: Mapping[str, str]) -> str:
    match node:
        case Number():
            return NUMBER
        case Name(name):
            return types[name]
        case Negative(operand):
            _need(operand, types, NUMBER, "'-'")
            return NUMBER
        case Arithmetic(first, rest):
            for op, term in ((rest[0][0], first), *rest):
                _need(term, types, NUMBER, f"'{op}'")
            return NUMBER
        case Comparison(first, rest):
            # Each term is typed once: re-typing nested comparisons per pair
            # would grow exponentially with the nesting.
            terms = (first, *(term for _, term in rest))
            kinds = [_type_of(term, types) for term in terms]
            for i, (op, _) in enumerate(rest):
                if op in ORDERINGS:
                    for k in (i, i + 1):
                        if kinds[k] != NUMBER:
                            raise ExpressionError(f"'{op}' needs a number, and `{unparse(terms[k])}` is a yes/no condition")
                elif kinds[i] != kinds[i + 1]:
                    raise ExpressionError(
                        f"'{op}' compares a number with a yes/no condition in `{unparse(terms[i])} {op} {unparse(terms[i + 1])}`"
                    )
            return BOOLEAN
        case Not(operand):
            _need(operand, types, BOOLEAN, "'not'")
            return BOOLEAN
        case Logical(op, operands):
            for operand in operands:
                _need(operand, types, BOOLEAN, f"'{op}'")
            return BOOLEAN
    raise ExpressionError(f"not part of the grammar: {type(node).__name__}")
