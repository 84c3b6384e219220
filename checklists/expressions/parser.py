"""Text to tree: a tokenizer and a recursive-descent parser of the grammar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .tree import MAX_DIGITS, Arithmetic, Comparison, Expression, ExpressionError, Logical, Name, Negative, Node, Not, Number

MAX_LENGTH = 1000  # characters of one expression
MAX_DEPTH = 24  # nested parentheses, unary signs and `not`s
KEYWORDS = frozenset({"and", "or", "not"})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<number>[0-9]+(?:\.[0-9]+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\))"
)


# --- parsing ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op", "keyword", "end"
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = " (use == to compare)" if char == "=" else ""
            raise ExpressionError(f"unexpected character {char!r}{hint}", position)
        kind, value = match.lastgroup, match.group()
        if kind == "number" and len(value.replace(".", "")) > MAX_DIGITS:
            raise ExpressionError(f"a number has more than {MAX_DIGITS} digits", position)
        if kind == "name" and value in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(_Token(kind, value, position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.current.kind in ("op", "keyword") and self.current.text in texts

    def deeper(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep", token.position)

    def expression(self) -> Node:
        return self.disjunction()

    def disjunction(self) -> Node:
        operands = [self.conjunction()]
        while self.at("or"):
            self.take()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.negation()]
        while self.at("and"):
            self.take()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def negation(self) -> Node:
        if not self.at("not"):
            return self.comparison()
        self.deeper(self.take())
        node = Not(self.negation())
        self.depth -= 1
        return node

    def comparison(self) -> Node:
        first, rest = self.sum(), []
        while self.at(*COMPARISONS):
            op = self.take().text
            rest.append((op, self.sum()))
        return Comparison(first, tuple(rest)) if rest else first

    def sum(self) -> Node:
        first, rest = self.product(), []
        while self.at("+", "-"):
            op = self.take().text
            rest.append((op, self.product()))
        return Arithmetic(first, tuple(rest)) if rest else first

    def product(self) -> Node:
        first, rest = self.unary(), []
        while self.at("*", "/"):
            op = self.take().text
            rest.append((op, self.unary()))
        return Arithmetic(first, tuple(rest)) if rest else first

    def unary(self) -> Node:
        if not self.at("-", "+"):
            return self.atom()
        sign = self.take()
        self.deeper(sign)
        operand = self.unary()
        self.depth -= 1
        return Negative(operand) if sign.text == "-" else operand

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.take()
            return Number(Fraction(token.text))
        if token.kind == "name":
            self.take()
            return Name(token.text)
        if self.at("("):
            self.deeper(self.take())
            node = self.expression()
            self.depth -= 1
            if not self.at(")"):
                raise ExpressionError(f"expected ')' but found {_describe(self.current)}", self.current.position)
            self.take()
            return node
        raise ExpressionError(f"expected a number, a question code or '(' but found {_describe(token)}", token.position)


def _describe(token: _Token) -> str:
    return "the end" if token.kind == "end" else repr(token.text)


def parse(text: str) -> Expression:
    """The expression's tree, or ExpressionError saying what is wrong and where."""
    if not isinstance(text, str):
        raise ExpressionError("an expression is text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters")
    parser = _Parser(text)
    tree = parser.expression()
    if parser.current.kind != "end":
        raise ExpressionError(f"unexpected {_describe(parser.current)}", parser.current.position)
    return Expression(text, tree)
