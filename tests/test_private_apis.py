"""The private parts of Prefect and pandera the product leans on for speed, each behind one
function, checked on the pinned versions: an upgrade that changes one fails here, by name, not in
a run (issue 19).

- pipelines/orchestration/ephemeral.py: temporary: a run's temporary server started as Prefect's own
  SubprocessASGIServer starts it (the app factory and its two environment flags), and made the
  process's setting with `prefect.context._temporary_global_settings_context`, without importing
  Prefect's server code into the run (README, Speed: about 2 s of a run's start).
- pipelines/validate/schemas.py: _pandas_only: pandera asked once which Series and Index types exist with
  its Dask typing module standing in as "not installed" (0.5 s of a run's first validation).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from contextlib import AbstractContextManager
from importlib import import_module

from conftest import REPO


def test_prefect_s_temporary_server_is_started_as_ephemeral_py_starts_it():
    server = import_module("prefect.server.api.server")
    assert callable(server.create_app)
    source = inspect.getsource(server)
    assert 'os.getenv("PREFECT__SERVER_EPHEMERAL")' in source and 'os.getenv("PREFECT__SERVER_FINAL")' in source
    assert "uvicorn" in inspect.getsource(server.SubprocessASGIServer)
    from prefect.context import _temporary_global_settings_context, get_settings_context

    assert isinstance(_temporary_global_settings_context(get_settings_context()), AbstractContextManager)
    ephemeral = (REPO / "pipelines" / "orchestration" / "ephemeral.py").read_text("utf-8")
    assert "prefect.server.api.server:create_app" in ephemeral and "PREFECT__SERVER_FINAL" in ephemeral


def test_pandera_asks_its_dask_module_as_schemas_py_answers_for_it():
    typing = import_module("pandera.typing")
    for name in ("get_index_types", "get_series_types"):
        assert "dask.DASK_INSTALLED" in inspect.getsource(getattr(typing, name)), name
    assert import_module("pandera.typing.dask").__name__ == "pandera.typing.dask"


def test_without_the_stand_in_pandera_would_import_dask():
    """What `_pandas_only` spares: in a fresh process, the schemas import no Dask; pandera's own
    answer imports dask.dataframe (when Dask is installed, as prefect-dask brings it)."""
    probe = ("import sys; import pipelines.validate.schemas as s; s.Observations.to_schema(); "
             "print('dask.dataframe' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
    bare = "import sys, pandera.typing as t; t.get_series_types(); print('dask.dataframe' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", bare], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "True"
