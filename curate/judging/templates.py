"""What the judge is asked, and how its answer is read.

The default templates follow the conventions of MT-Bench's judge prompts (Zheng et al.,
2023), which common judge models are tuned or prompted to answer: a pairwise verdict ends
with ``[[A]]``, ``[[B]]`` or ``[[C]]`` (a tie); a single-answer grade ends with a rating
``[[1]]`` .. ``[[10]]``. A pipeline file may replace a template; it then names the same
placeholders (``{question}``, ``{answer_a}``, ``{answer_b}`` for ``pairwise``;
``{question}``, ``{answer}`` for ``score``) and doubles any other brace.

An answer is read only when it is unambiguous: one verdict (or one rating) in it, however
often repeated. Anything else is *unparsed*, never a guess.
"""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import Field

from curate.clients.request import Messages
from curate.options import StrictModel

Mode = Literal["pairwise", "score"]
PairwiseVerdict = Literal["A", "B", "C"]

PAIRWISE_SYSTEM = (
    "You are an impartial judge of AI assistants. Below are a user's question and the answers of "
    "two assistants, A and B. Decide which answer follows the user's instructions and answers the "
    "question better, weighing helpfulness, relevance, accuracy, depth, creativity and level of "
    "detail. First compare the two answers in a short explanation. Neither the order in which the "
    "answers appear, nor their length, nor the assistants' names may sway you; be as objective as "
    'you can. Then give your final verdict in exactly this form: "[[A]]" if assistant A is better, '
    '"[[B]]" if assistant B is better, "[[C]]" for a tie.'
)
PAIRWISE_USER = (
    "[User Question]\n{question}\n\n"
    "[The Start of Assistant A's Answer]\n{answer_a}\n[The End of Assistant A's Answer]\n\n"
    "[The Start of Assistant B's Answer]\n{answer_b}\n[The End of Assistant B's Answer]"
)
SCORE_SYSTEM = (
    "You are an impartial judge of an AI assistant. Below are a user's question and an assistant's "
    "answer. Rate how well the answer serves the user, weighing helpfulness, relevance, accuracy, "
    "depth, creativity and level of detail. First assess the answer in a short explanation; be as "
    "objective as you can. Then rate it from 1 to 10 in exactly this form: "
    '"Rating: [[5]]".'
)
SCORE_USER = (
    "[Question]\n{question}\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]"
)
PLACEHOLDERS: dict[Mode, frozenset[str]] = {
    "pairwise": frozenset({"question", "answer_a", "answer_b"}),
    "score": frozenset({"question", "answer"}),
}
VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]")
RATING = re.compile(r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]")


class Template(StrictModel):
    """The judge's instructions (``system``, optional) and the request itself (``user``)."""

    system: str | None = Field(None, description="The system message; null sends none.")
    user: str = Field(
        description="The user message, with the mode's placeholders: {question}, {answer_a} and "
        "{answer_b} (pairwise) or {question} and {answer} (score). Double any other brace."
    )


DEFAULTS: dict[Mode, Template] = {
    "pairwise": Template(system=PAIRWISE_SYSTEM, user=PAIRWISE_USER),
    "score": Template(system=SCORE_SYSTEM, user=SCORE_USER),
}


def check_template(template: Template, mode: Mode) -> None:
    """``ValueError`` unless ``user`` names exactly the mode's placeholders and ``system`` none."""
    wanted = PLACEHOLDERS[mode]
    for part, text, allowed in (
        ("system", template.system or "", frozenset()),
        ("user", template.user, wanted),
    ):
        try:
            fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text)]
        except ValueError as exc:
            raise ValueError(f"templates.{part}: {exc} (double a literal brace: {{{{ or }}}})") from None
        named = {name for name, _, _ in fields if name is not None}
        wrong = sorted(
            {name for name, spec, conv in fields if name is not None and (spec or conv)} | (named - allowed)
        )
        if wrong:
            found = ", ".join(f"{{{name}}}" for name in wrong)
            if not allowed:
                raise ValueError(f"templates.{part} takes no placeholder (found {found})")
            names = ", ".join(f"{{{name}}}" for name in sorted(allowed))
            raise ValueError(f"templates.{part} may use only {names} in {mode} mode, plainly (found {found})")
        if named != allowed:
            missing = ", ".join(f"{{{name}}}" for name in sorted(allowed - named))
            raise ValueError(f"templates.{part} must show the judge {missing}")


def question(prompt: Messages) -> str:
    """The prompt as the judge reads it: the question alone, or the conversation up to it."""
    if len(prompt) == 1:
        return prompt[0][1]
    return "\n\n".join(f"[{role.capitalize()}]\n{content}" for role, content in prompt)


def answer(reply: Messages) -> str:
    return "\n\n".join(content for _, content in reply)


def pairwise_messages(template: Template, prompt: Messages, a: Messages, b: Messages) -> Messages:
    user = template.user.format(question=question(prompt), answer_a=answer(a), answer_b=answer(b))
    return _with_system(template, user)


def score_messages(template: Template, prompt: Messages, reply: Messages) -> Messages:
    return _with_system(template, template.user.format(question=question(prompt), answer=answer(reply)))


def parse_verdict(text: str) -> PairwiseVerdict | None:
    """The one verdict in ``text``, or None when it has none or several different ones.

    >>> parse_verdict("B is more accurate. [[B]]"), parse_verdict("[[A]] or [[B]]?"), parse_verdict("B")
    ('B', None, None)
    """
    found = set(VERDICT.findall(text))
    if len(found) != 1:
        return None
    verdict = found.pop()
    return "A" if verdict == "A" else "B" if verdict == "B" else "C"


def parse_rating(text: str) -> float | None:
    """The one rating from 1 to 10 in ``text``, or None.

    >>> parse_rating("Rating: [[7]]"), parse_rating("[[7]] then [[8]]"), parse_rating("[[11]]")
    (7.0, None, None)
    """
    found = {float(value) for value in RATING.findall(text)}
    if len(found) != 1:
        return None
    rating = found.pop()
    return rating if 1 <= rating <= 10 else None


def _with_system(template: Template, user: str) -> Messages:
    if template.system is None:
        return (("user", user),)
    return (("system", template.system.format()), ("user", user))
