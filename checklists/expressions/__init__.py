"""The forms' QA rules: small arithmetic and comparison expressions over
question codes, e.g. `ballots_received == ballots_issued + ballots_spoiled +
ballots_unused`.

A hand-written tokenizer and recursive-descent parser, never `eval`: the only
things an expression can hold are the ones the grammar below names, so a rule
loaded from a file can compute and compare numbers and nothing else.

    expression := disjunction
    disjunction := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation    := "not" negation | comparison
    comparison  := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)*
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := ("-" | "+") unary | atom
    atom        := NUMBER | NAME | "(" expression ")"

NUMBER is decimal digits with an optional fraction (`0.95`); NAME a question
code. Comparisons chain as in mathematics (`0 <= a <= b`). Arithmetic is exact
(fractions), so `==` between sums of integers never suffers rounding.

Names have a type, number or boolean (a yes/no question); `check_types` refuses
arithmetic on booleans, `and` over numbers and a rule that is not a yes/no
question, so every mistake shows when the form is loaded. Every failure, of
parsing, checking or evaluating (division by zero), raises `ExpressionError`
and nothing else.
"""

from .check import BOOLEAN, NUMBER, check_types
from .evaluate import Value, as_value, evaluate, number_display, sides
from .parser import KEYWORDS, MAX_DEPTH, MAX_DIGITS, MAX_LENGTH, parse
from .tree import Arithmetic, Comparison, Expression, ExpressionError, Logical, Name, Negative, Node, Not, Number, names_in, unparse

__all__ = [
    "BOOLEAN", "KEYWORDS", "MAX_DEPTH", "MAX_DIGITS", "MAX_LENGTH", "NUMBER", "Arithmetic", "Comparison", "Expression",
    "ExpressionError", "Logical", "Name", "Negative", "Node", "Not", "Number", "Value", "as_value", "check_types", "evaluate",
    "names_in", "number_display", "parse", "sides", "unparse",
]  # fmt: skip
