"""-k EXPR: choosing tests by name, with pytest's grammar and matching.

An expression is made of words joined with ``and``, ``or``, ``not`` and
parentheses.  A word matches a test when it is a case-insensitive
substring of one of the test's names: its own name (with parameters), its
class names, its file's name, the packages it is in, and the attributes
set on its function.  ``-k "cache and not slow"`` runs the tests whose
names contain "cache" and none of whose names contain "slow".

Files collected by pytest use pytest's own -k, which also matches marker
names; this module serves the files pyleak-ci collects itself.
"""

import re

__all__ = ["compile", "KeywordError"]

# What a word may contain: the characters of test ids and parameters.
_WORD = re.compile(r"(?:\w|[:+\-.\[\]\\/])+")
_OPERATORS = ("and", "or", "not")


class KeywordError(ValueError):
    pass


def _tokens(text):
    pos = 0
    out = []
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch in "()":
            out.append((ch, ch, pos))
            pos += 1
        else:
            m = _WORD.match(text, pos)
            if m is None:
                raise KeywordError(
                    "-k %r: unexpected character %r at column %d; words "
                    "may use letters, digits and _:+-.[]\\/, joined with "
                    "and, or, not and parentheses"
                    % (text, ch, pos + 1))
            word = m.group()
            out.append((word if word in _OPERATORS else "word", word, pos))
            pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    """expr: and ('or' and)*; and: not ('and' not)*;
    not: 'not' not | '(' expr ')' | word."""

    def __init__(self, text):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i][0]

    def take(self, kind):
        tok = self.toks[self.i]
        if tok[0] != kind:
            want = {"word": "a word", "end": "the end",
                    ")": "')'"}.get(kind, repr(kind))
            got = "the end" if tok[0] == "end" else repr(tok[1])
            raise KeywordError("-k %r: expected %s at column %d, found %s"
                               % (self.text, want, tok[2] + 1, got))
        self.i += 1
        return tok

    def parse(self):
        if self.peek() == "end":
            return lambda names: True
        node = self.expr()
        self.take("end")
        return node

    def expr(self):
        node = self.and_()
        while self.peek() == "or":
            self.take("or")
            node = _or(node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.peek() == "and":
            self.take("and")
            node = _and(node, self.not_())
        return node

    def not_(self):
        if self.peek() == "not":
            self.take("not")
            return _not(self.not_())
        if self.peek() == "(":
            self.take("(")
            node = self.expr()
            self.take(")")
            return node
        word = self.take("word")[1].lower()
        return lambda names: any(word in name for name in names)


def _or(a, b):
    return lambda names: a(names) or b(names)


def _and(a, b):
    return lambda names: a(names) and b(names)


def _not(a):
    return lambda names: not a(names)


def compile(text):
    """A predicate over a test's lower-cased names, or KeywordError."""
    return _Parser(text or "").parse()


def names_of(modname, relfile, qualname):
    """The names a test answers to, lower-cased: its file's base name,
    its packages, its classes and itself (qualname is Class::name or
    name), as pytest's node names."""
    names = set()
    base = relfile.replace("\\", "/").rsplit("/", 1)[-1]
    names.add(base)
    for pkg in modname.split(".")[:-1]:
        names.add(pkg)
    names.update(qualname.split("::"))
    return [n.lower() for n in names]
