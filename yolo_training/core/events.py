"""Announcements between the steps of the course: a lower step says what happened, a higher one listens.

The path itself never calls an opt-in feature: a run announces each change of its status, a chapter
announces that it started, and whatever wants to know (the instructor's class view, when a student
joined a class) subscribes, as integrations register their callbacks with Ultralytics. A listener
that fails never stops a training: its error is printed as a warning and the others still hear.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

#: What can be announced, and what each listener receives.
EVENTS = {
    "run_status": "the run folder (a Path), after its status changed in its run.json",
    "chapter_started": "the chapter number (an int or None), after start_chapter set the project up",
}

_listeners: dict[str, list[Callable]] = {event: [] for event in EVENTS}


def _check(event: str) -> None:
    if event not in EVENTS:
        raise KeyError(f"There is no event {event!r}; known: {', '.join(EVENTS)}.")


def subscribe(event: str, listener: Callable) -> None:
    """Call ``listener`` each time ``event`` is announced (once, however often it subscribes).

    Args:
        event: A key of :data:`EVENTS`.
        listener: A function of one argument, described in :data:`EVENTS`.

    Returns:
        None.

    Example:
        >>> heard = []
        >>> subscribe("chapter_started", heard.append)
        >>> announce("chapter_started", 4)
        >>> heard
        [4]
        >>> unsubscribe("chapter_started", heard.append)
    """
    _check(event)
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def unsubscribe(event: str, listener: Callable) -> None:
    """Stop calling ``listener`` for ``event`` (nothing happens when it was not subscribed).

    Args:
        event: A key of :data:`EVENTS`.
        listener: A function given to :func:`subscribe`.

    Returns:
        None.

    Example:
        >>> unsubscribe("run_status", print)
    """
    _check(event)
    if listener in _listeners[event]:
        _listeners[event].remove(listener)


def announce(event: str, what) -> None:
    """Tell every listener of ``event``; a listener's error is a warning, never the caller's failure.

    Args:
        event: A key of :data:`EVENTS`.
        what: What the listeners receive (see :data:`EVENTS`).

    Returns:
        None.

    Example:
        >>> announce("run_status", None)  # nobody listens: nothing happens
    """
    _check(event)
    for listener in list(_listeners[event]):
        try:
            listener(what)
        except Exception as err:  # a listener must never stop a training
            warnings.warn(f"{getattr(listener, '__qualname__', listener)} failed on {event}: {err}", stacklevel=2)
