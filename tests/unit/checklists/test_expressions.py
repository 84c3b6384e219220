"""The QA rules' expression language: what it computes, what it refuses, and
(property tests) that nothing outside the grammar evaluates and that nothing
but ExpressionError ever comes out of it."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists import expressions
from checklists.expressions import BOOLEAN, NUMBER, ExpressionError, check_types, evaluate, parse, sides, unparse

NUMBERS = {"a": NUMBER, "b": NUMBER, "c": NUMBER, "d": NUMBER}
ALL_TYPES = NUMBERS | {"p": BOOLEAN, "q": BOOLEAN}


def value(text, **values):
    return evaluate(parse(text), values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("10 - (4 - 3)", 9),
        ("12 / 4 / 3", 1),
        ("-2 * -3", 6),
        ("- (2 + 3)", -5),
        ("0.1 + 0.2 == 0.3", True),  # exact: fractions, not floats
        ("1 / 3 * 3 == 1", True),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("2 == 2 != 3", True),
        ("not 1 > 2 and 2 > 1", True),
        ("1 > 2 or 2 > 1 and 3 > 4", False),
        ("(1 > 2 or 2 > 1) and 3 > 2", True),
    ],
)
def test_arithmetic_comparisons_and_logic_follow_the_usual_precedence(text, expected):
    assert value(text) == expected


def test_a_protocol_rule_computes_with_the_answers_and_shows_both_sides():
    rule = parse("ballots_received == ballots_issued + ballots_spoiled + ballots_unused")
    answers = {"ballots_received": 1000, "ballots_issued": 600, "ballots_spoiled": 5, "ballots_unused": 400}
    assert evaluate(rule, answers) is False
    assert sides(rule, answers) == (("ballots_received", 1000), ("ballots_issued + ballots_spoiled + ballots_unused", 1005))
    assert evaluate(rule, answers | {"ballots_unused": 395}) is True
    assert rule.names == {"ballots_received", "ballots_issued", "ballots_spoiled", "ballots_unused"}


def test_yes_no_answers_are_booleans():
    assert value("not interfering or present", interfering=True, present=False) is False
    assert value("not interfering or present", interfering=False, present=False) is True
    assert value("sealed == opened", sealed=True, opened=True) is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = b", "unexpected character '=' (use == to compare) (at character 3)"),
        ("a +", "expected a number, a question code or '(' but found the end (at character 4)"),
        ("(a + b", "expected ')' but found the end (at character 7)"),
        ("a b", "unexpected 'b' (at character 3)"),
        ("a.b", "unexpected character '.' (at character 2)"),
        ("len(a)", "unexpected '(' (at character 4)"),
        ("a ** 2", "expected a number, a question code or '(' but found '*' (at character 4)"),
        ("'a'", 'unexpected character "\'" (at character 1)'),
        ("1e9", "unexpected 'e9' (at character 2)"),
        ("1234567890123456", "a number has more than 15 digits (at character 1)"),
        ("", "expected a number, a question code or '(' but found the end (at character 1)"),
        ("(" * 30 + "a" + ")" * 30, "nested more than 24 levels deep (at character 25)"),
        ("not " * 30 + "p", "nested more than 24 levels deep (at character 97)"),
        ("a + " * 300 + "a", "longer than 1000 characters"),
    ],
)
def test_syntax_errors_say_what_and_where(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a == e", "unknown question 'e'"),
        ("a + p > 1", "'+' needs a number, and `p` is a yes/no condition"),
        ("a and b", "'and' needs a yes/no condition, and `a` is a number"),
        ("not a", "'not' needs a yes/no condition, and `a` is a number"),
        ("-p < 1", "'-' needs a number, and `p` is a yes/no condition"),
        ("p < q", "'<' needs a number, and `p` is a yes/no condition"),
        ("a == p", "'==' compares a number with a yes/no condition in `a == p`"),
        ("a + b", "the rule must be a yes/no condition, and this is a number"),
    ],
)
def test_type_errors_are_found_when_the_rule_is_loaded(text, message):
    with pytest.raises(ExpressionError) as caught:
        check_types(parse(text), ALL_TYPES)
    assert str(caught.value) == message


def test_division_by_zero_and_missing_values_are_expression_errors():
    with pytest.raises(ExpressionError, match="division by zero: `b` is 0"):
        value("a / b <= 1", a=3, b=0)
    with pytest.raises(ExpressionError, match="no value for 'b'"):
        value("a <= b", a=3)
    with pytest.raises(ExpressionError, match="neither a finite number nor yes/no"):
        value("a <= 1", a=float("inf"))
    with pytest.raises(ExpressionError, match="neither a finite number nor yes/no"):
        value("a <= 1", a="3")


def test_deeply_nested_comparisons_are_typed_in_linear_time():
    # Typing each pair of a comparison anew would double the work per level: 2**24 here.
    text = "(" * 23 + "p" + " == p)" * 23
    check_types(parse(text), {"p": BOOLEAN})


# --- property tests --------------------------------------------------------------------

ALPHABET = "abcdpq0123456789.+-*/()<>=! _"
NAMES = ["a", "b", "c", "d"]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_raises_only_expression_error(text):
    try:
        parse(text)
    except ExpressionError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET + "andornot ", max_size=80), st.dictionaries(st.sampled_from(NAMES + ["p", "q"]), st.integers(-5, 5)))
def test_any_text_of_the_grammars_characters_evaluates_or_raises_only_expression_error(text, values):
    try:
        expression = parse(text)
        evaluate(expression, values)
    except ExpressionError:
        pass


FORBIDDEN = [
    "__import__('os')", "open('x')", "a.__class__", "[a]", "{a}", "a[0]", "lambda: 1", "a if b else c", "a ** b", "a // b",
    "a % b", "a @ b", "a << b", "a | b", "a & b", "~a", "f'{a}'", "a;b", "a, b", "a := 1", "`a`", "$a", "a\\b", "#a", "1j", "0x10",
    "1_000", "1e3", "True", "None", "a is b", "a in b",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FORBIDDEN), st.sampled_from(["", "a + ", "1 < ", "not ", "("]), st.sampled_from(["", " + 1", " > 0", ")"]))
def test_nothing_outside_the_grammar_is_accepted(snippet, before, after):
    # Python's constants are no literals here: `True` can only be a question's code, and there is none.
    with pytest.raises(ExpressionError):
        check_types(parse(before + snippet + after), ALL_TYPES)


def numbers():
    leaf = st.one_of(
        st.sampled_from(NAMES).map(expressions.Name),
        st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False).map(
            lambda d: expressions.Number(Fraction(d))
        ),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            inner.map(expressions.Negative),
            st.tuples(inner, st.lists(st.tuples(st.sampled_from("+-*/"), inner), min_size=1, max_size=3)).map(_arithmetic),
        ),
        max_leaves=8,
    )


def _arithmetic(parts):
    first, rest = parts
    # One precedence level per node, as the parser builds them.
    level = "+-" if rest[0][0] in "+-" else "*/"
    return expressions.Arithmetic(first, tuple((op if op in level else level[0], term) for op, term in rest))


def conditions():
    comparison = st.tuples(
        numbers(), st.lists(st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), numbers()), min_size=1, max_size=2)
    ).map(lambda parts: expressions.Comparison(parts[0], tuple(parts[1])))
    return st.recursive(
        comparison,
        lambda inner: st.one_of(
            inner.map(expressions.Not),
            st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3)).map(
                lambda p: expressions.Logical(p[0], tuple(p[1]))
            ),
        ),
        max_leaves=4,
    )


def direct(node, values):
    """The reference meaning of a tree, computed without the module."""
    match node:
        case expressions.Number(v):
            return v
        case expressions.Name(n):
            return Fraction(values[n])
        case expressions.Negative(o):
            return -direct(o, values)
        case expressions.Arithmetic(first, rest):
            total = direct(first, values)
            for op, term in rest:
                right = direct(term, values)
                if op == "/" and right == 0:
                    raise ZeroDivisionError
                total = {"+": total + right, "-": total - right, "*": total * right, "/": total / right if right else 0}[op]
            return total
        case expressions.Comparison(first, rest):
            # As in mathematics and Python: a chain stops at its first false link.
            ops = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y, "<=": lambda x, y: x <= y}
            ops |= {">": lambda x, y: x > y, ">=": lambda x, y: x >= y}
            left = direct(first, values)
            for op, term in rest:
                right = direct(term, values)
                if not ops[op](left, right):
                    return False
                left = right
            return True
        case expressions.Not(o):
            return not direct(o, values)
        case expressions.Logical("and", operands):
            return all(direct(o, values) for o in operands)
        case expressions.Logical("or", operands):
            return any(direct(o, values) for o in operands)


@settings(max_examples=300, deadline=None)
@given(conditions(), st.fixed_dictionaries({n: st.integers(-1000, 1000) for n in NAMES}))
def test_a_rule_written_out_parses_back_and_means_what_its_tree_means(tree, values):
    text = unparse(tree)
    expression = parse(text)
    assert unparse(expression.tree) == text
    check_types(expression, NUMBERS)
    try:
        expected = direct(tree, values)
    except ZeroDivisionError:
        with pytest.raises(ExpressionError, match="division by zero"):
            evaluate(expression, values)
        return
    assert evaluate(expression, values) == expected
