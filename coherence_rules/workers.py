"""Forked worker processes whose results come back in the order the work was given.

libyaml and the engine's C core never release the GIL, so threads would not help. A forked worker
inherits what the parent had built when the pool started (the corpus, the registered packs), frozen
from then on, so that the workers' collections do not touch, and copy, every page of it; whoever
owns the run hands the collector back (pipeline.run_stages at its end, a server between runs). A worker that dies breaks the pool at once: an error, never a wait for a
result that cannot come.
"""

from __future__ import annotations

import collections
import gc
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import WorkerError

A = TypeVar("A")
R = TypeVar("R")
IN_FLIGHT = 2  # tasks queued per worker process: only a few tasks' results are alive at a time


@dataclass
class Done(Generic[R]):
    """A task's result the parent already has: handed back in its place, without a worker."""

    result: R


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def in_order(
    work: Callable[[A], R],
    tasks: Iterable[A | Done[R]],
    jobs: int,
    failing: str,
    initializer: Callable[[], None] | None = None,
) -> Iterator[R]:
    """work(task) for each task in `jobs` forked processes (each started by `initializer`), or a
    Done task's result, in the order of the tasks. `work` must be a module-level function (it is
    handed to the workers by name). A dead worker is a WorkerError naming what was `failing`."""
    pending: collections.deque[Future[R] | Done[R]] = collections.deque()
    gc.freeze()  # not undone here: an unfreeze would also undo what the run froze before (pipeline._lasting)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=initializer) as pool:
            for task in tasks:
                pending.append(task if isinstance(task, Done) else pool.submit(work, task))
                while pending and (
                    isinstance(pending[0], Done) or sum(isinstance(p, Future) for p in pending) >= IN_FLIGHT * jobs
                ):
                    yield _result(pending.popleft())
            while pending:
                yield _result(pending.popleft())
    except BrokenProcessPool:  # from a result, or from the next submit once the pool knows
        raise WorkerError(
            f"a worker process died while {failing} (killed, or out of memory?); rerun with --jobs 1"
        ) from None


def _result(task: Future[R] | Done[R]) -> R:
    return task.result if isinstance(task, Done) else task.result()
