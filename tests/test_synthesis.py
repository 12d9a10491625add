"""The synthesis scheduler: earliest deadline first, wide only when alone, errors delivered."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from faceplex.bridge.synthesis import SynthesisScheduler, estimate_seconds


def test_jobs_run_earliest_deadline_first_and_wide_only_when_alone():
    async def go():
        sched = SynthesisScheduler(workers=1)
        gate = threading.Event()
        order = []

        def job(name, wide=False):
            if name == "blocker":
                gate.wait(5)
            order.append((name, wide))
            return name

        first = sched.submit(0.0, job, "blocker")
        await asyncio.sleep(0.05)  # the single worker is now busy with the blocker
        late = sched.submit(100.0, job, "late")
        urgent = sched.submit(1.0, job, "urgent")
        gate.set()
        assert await asyncio.gather(first, late, urgent) == ["blocker", "late", "urgent"]
        sched.shutdown()
        return order

    order = asyncio.run(go())
    assert [name for name, _ in order] == ["blocker", "urgent", "late"]
    assert order[0][1] is True     # alone when it started
    assert order[1][1] is False    # another job was waiting
    assert order[2][1] is True


def test_a_failing_job_raises_in_the_awaiting_session():
    async def go():
        sched = SynthesisScheduler(workers=2)

        def boom(wide=False):
            raise RuntimeError("voice failed")

        with pytest.raises(RuntimeError, match="voice failed"):
            await sched.submit(time.monotonic(), boom)
        sched.shutdown()

    asyncio.run(go())


def test_estimate_scales_with_text_and_speed():
    assert estimate_seconds("x" * 100, 1.0) == pytest.approx(6.4)
    assert estimate_seconds("x" * 100, 2.0) == pytest.approx(3.2)
