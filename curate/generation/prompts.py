"""The prompt a conversation asks, and the reply its log already holds.

``turns: first`` asks the conversation's opening question: every message up to and with its
first user turn. ``turns: all`` asks its last one: every message up to and with its last user
turn (earlier answers included, as context). The logged reply is the run of assistant turns
right after the prompt, empty when the log stops there.
"""

from __future__ import annotations

from typing import Literal

from curate.clients.request import Messages

Turns = Literal["first", "all"]


def cut(messages: Messages, turns: Turns) -> tuple[Messages, Messages]:
    """``(prompt, logged reply)``; the prompt is empty when there is no user turn.

    >>> talk = (("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"))
    >>> cut(talk, "first")
    ((('user', 'a'),), (('assistant', 'b'),))
    >>> cut(talk, "all")[0][-1], cut(talk, "all")[1]
    (('user', 'c'), (('assistant', 'd'),))
    """
    users = [position for position, (role, _) in enumerate(messages) if role == "user"]
    if not users:
        return (), ()
    end = (users[0] if turns == "first" else users[-1]) + 1
    reply_end = end
    while reply_end < len(messages) and messages[reply_end][0] == "assistant":
        reply_end += 1
    return messages[:end], messages[end:reply_end]
