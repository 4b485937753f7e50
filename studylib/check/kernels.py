"""The kernels that run the stage notebooks: lanes that run stages one after another, and lanes
kept between checks in a process that runs many.

A kernel's start and its imports of pandas, matplotlib and studylib take about 1.7 s of CPU. A
lane (:class:`KernelLane`) pays them once for several stages of a check. A process that runs many
checks (a test suite, a script over many studies) can also keep its lanes between checks: set
``STUDYLIB_KEEP_KERNELS=1``. A kept lane is idle between checks; every stage starts, as within a
check, with the user namespace cleared (``%reset -f``), figures closed and the notebook's own
folder as the working directory. A kept lane serves only the same kernel in the same environment,
and only if it finished its last stage. At most one lane per CPU core is kept, and the kept lanes
are shut down when the process exits (:func:`close_kept_lanes`).
"""
from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
from pathlib import Path

from jupyter_core.utils import run_sync

from ..text import no_paths
from .report import TEACH_TAG

__all__ = ["KernelLane", "kernel_environment", "take_lane", "give_back", "close_kept_lanes", "KEEP_KERNELS"]

#: The environment variable that keeps lanes between checks in one process ("1"; unset or "0": not).
KEEP_KERNELS = "STUDYLIB_KEEP_KERNELS"


#: Left out of a kernel's environment: a backend forced on the parent (charts would vanish from the
#: reports), and pytest's name of the test running, which changes with every test.
_NOT_FOR_KERNELS = ("MPLBACKEND", "PYTEST_CURRENT_TEST")


def _kernel_env() -> dict:
    """The kernel's environment: the process's, less :data:`_NOT_FOR_KERNELS`."""
    return {k: v for k, v in os.environ.items() if k not in _NOT_FOR_KERNELS}


@contextlib.contextmanager
def kernel_environment():
    """A backend forced on the parent (MPLBACKEND=Agg in CI) must not reach the kernel:
    charts would silently vanish from the reports. (For a kernel started by another library;
    a lane gives its kernel its environment directly.)"""
    saved = os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved


def _reset(folder: Path) -> str:
    """The first cell of every stage a lane runs: nothing left of the stage before."""
    return (f"%reset -f\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"
            f"import os as _os\n_os.chdir({str(folder)!r})\ndel _os")


#: How often a lane starts its kernel before the stages it takes fail with the reason.
START_ATTEMPTS = 3
#: How long a kernel just started has to answer.
READY_SECONDS = 120


class KernelLane:
    """One kernel that runs stage notebooks one after another.

    Between notebooks the user namespace is cleared (``%reset -f``), figures closed and the working
    directory set to the notebook's folder, so no stage sees another's variables; each stage sets
    its own privacy from the results. Parameters are injected as papermill does.
    """

    def __init__(self, kernel_name: str, cwd: Path):
        # The asynchronous manager: its client waits for the kernel's messages without blocking, so
        # a kernel that dies (or is ended by a stopped check) is noticed within a second.
        from jupyter_client.manager import AsyncKernelManager
        self.kernel_name, self.cwd = kernel_name, cwd
        self.stopped = False
        self.km = AsyncKernelManager(kernel_name=kernel_name)
        self._start()

    def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        env = _kernel_env()
        # What the kernel was started under (again after a restart): a lane is kept only for the
        # same kernel and environment.
        self.key = _lane_key(self.kernel_name, env)
        for attempt in range(START_ATTEMPTS):
            # the kernel's own log (TCP warnings, shutdown noise) is not for users
            run_sync(self.km.start_kernel)(extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                                           cwd=str(self.cwd), env=env)
            if self.stopped or self._ready() or attempt == START_ATTEMPTS - 1:
                return
            # It died as it started: another program took a port it was given between the choosing
            # and the binding. A new manager chooses new ports.
            with contextlib.suppress(Exception):
                run_sync(self.km.shutdown_kernel)(now=True)
            self.km = AsyncKernelManager(kernel_name=self.kernel_name)

    def _ready(self) -> bool:
        """Whether the kernel answers (it may have died as it started)."""
        client = self.km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=READY_SECONDS)
            return True
        except RuntimeError:
            return False
        finally:
            client.stop_channels()

    def run(self, notebook: Path, executed: Path, parameters: dict) -> tuple[str, str]:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, DeadKernelError
        from papermill.parameterize import parameterize_notebook

        nb = nbformat.read(str(notebook), as_version=4)
        numbers = {id(c): i for i, c in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1)}
        # Teaching cells (objectives, predictions, exercises, reflection forms) are for the team in
        # JupyterLab and are left out of reports: a report run does not execute them. (Every
        # notebook is run whole, teaching cells included, by the tests.) Cells keep the numbers
        # JupyterLab shows, so that a failed stage names the cell a learner sees.
        nb.cells = [c for c in nb.cells if TEACH_TAG not in c.metadata.get("tags", [])]
        nb.metadata["papermill"] = {}
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])      # papermill looks for the parameters tag in each
        nb = parameterize_notebook(nb, parameters, kernel_name=self.kernel_name, language="python")
        reset = nbformat.v4.new_code_cell(_reset(Path(notebook).resolve().parent))
        reset.metadata["tags"] = ["studylib-reset"]
        nb.cells.insert(0, reset)
        status, error = "ok", ""
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name, timeout=None,
                                store_widget_state=False)
        try:
            client.execute()
        except CellExecutionError as exc:
            failed = next((c for c in nb.cells if c.cell_type == "code"
                           and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
            where = f"cell {numbers[id(failed)]}: " if failed is not None and id(failed) in numbers else ""
            status, error = "failed", no_paths(f"{where}{exc.ename}: {exc.evalue}")
        except DeadKernelError as exc:
            status, error = "failed", f"the kernel died: {exc}"
            run_sync(self.km.shutdown_kernel)(now=True)
            if not self.stopped:
                self._start()
        finally:
            # The client asks to clean up at exit while it runs; a stage ended by a stopped check
            # may leave that asked, and the lane's kernel is the lane's to end.
            atexit.unregister(client._cleanup_kernel)
        nb.cells = [c for c in nb.cells if "studylib-reset" not in c.metadata.get("tags", [])]
        executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(executed))
        return status, error

    def alive(self) -> bool:
        return not self.stopped and bool(run_sync(self.km.is_alive)())

    def stop(self) -> None:
        """End the kernel at once, from any thread (the check was stopped): the stage it runs fails,
        and the lane is not started again nor kept."""
        self.stopped = True
        pid = getattr(self.km.provisioner, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)      # the kernel leads a session of its own

    def close(self) -> None:
        with contextlib.suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)


_kept: list[KernelLane] = []
_kept_lock = threading.Lock()


def _lane_key(kernel_name: str, env: dict) -> tuple:
    return kernel_name, frozenset(env.items())


def _keeping() -> bool:
    return os.environ.get(KEEP_KERNELS, "") not in ("", "0")


def take_lane(kernel_name: str, cwd: Path) -> KernelLane:
    """A kept lane for this kernel and environment, if there is one alive, else a new lane."""
    if _keeping():
        key = _lane_key(kernel_name, _kernel_env())
        while True:
            with _kept_lock:
                lane = next((lane for lane in _kept if lane.key == key), None)
                if lane is None:
                    break
                _kept.remove(lane)
            if lane.alive():
                return lane
            lane.close()
    return KernelLane(kernel_name, cwd)


def give_back(lane: KernelLane, *, idle: bool) -> None:
    """Keep a lane that finished its stages for the next check (when kept lanes are asked for), or
    shut it down. At most one lane per CPU core is kept: the one kept longest goes first."""
    if not (idle and _keeping() and lane.alive()):
        lane.close()
        return
    with _kept_lock:
        _kept.append(lane)
        extra = _kept[:max(len(_kept) - (os.cpu_count() or 1), 0)]
        del _kept[:len(extra)]
    for old in extra:
        old.close()


def close_kept_lanes() -> None:
    """Shut down every kept lane (done when the process exits)."""
    with _kept_lock:
        lanes = list(_kept)
        _kept.clear()
    for lane in lanes:
        with contextlib.suppress(Exception):
            lane.close()


atexit.register(close_kept_lanes)
