"""Where `planner plan` gets its estate: a stored snapshot, a snapshot or RVTools file, the vCenters of the
connection flags or environment (collected into a new snapshot first), or the bundled example estate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.cli.common import err_console, names_a_file, open_store, options, safe, warn
from planner.graph.policy import LayeredSettings
from planner.plan import RVTOOLS_SUFFIXES, PlanBuild, PlanSource, build_plan
from planner.store import Store

EMPTY_STORE_NOTE = ("note: no snapshot in the store yet: planning the bundled example estate (`planner inventory "
                    "collect` or `import` adds yours)")


@dataclass
class Connection:
    """vCenter connection flags of `planner plan` (collect first when ``wanted``)."""

    servers: list[str]
    user: str | None = None
    password_file: Path | None = None
    insecure: bool | None = None
    ca_file: Path | None = None
    vcenter: bool = False

    @property
    def wanted(self) -> bool:
        return bool(self.servers) or self.vcenter


def _collect(connection: Connection) -> int:
    from planner.cli.inventory_collect import servers_from_flags, store_collected
    from planner.sources.vcenter import ConnectionFlags

    flags = ConnectionFlags(servers=connection.servers, user=connection.user,
                            password_file=connection.password_file, insecure=connection.insecure,
                            ca_file=connection.ca_file)
    info, _estate, _warnings = store_collected(servers_from_flags(flags))
    err_console.print(safe(f"stored snapshot {info.id} from {', '.join(connection.servers) or 'the environment'}"))
    return info.id


def _store_has_snapshots() -> bool:
    if not options.db_path.exists():
        return False
    with open_store() as store:
        return bool(store.list())


def _example(policy: Path | None, settings: LayeredSettings) -> PlanBuild:
    from planner.plan.example import example_estate, example_guests

    estate = example_estate()
    return build_plan(estate, PlanSource("example", "example estate", None, estate.collected_at),
                      policy_path=policy, settings=settings, recorded=example_guests(estate))


def _stored(store: Store, ref: str | None, kind: str, policy: Path | None, settings: LayeredSettings) -> PlanBuild:
    snapshot_id = store.resolve(ref)
    estate = store.load(snapshot_id)
    label = f"snapshot #{snapshot_id}"
    return build_plan(estate, PlanSource(kind, label, f"#{snapshot_id}", estate.collected_at), store=store,
                      snapshot_id=snapshot_id, policy_path=policy, settings=settings)


def plan_from_source(ref: str | None, connection: Connection, *, policy: Path | None,
                     settings: LayeredSettings) -> PlanBuild:
    """The plan of what SOURCE (and the connection flags) name; see the module docstring."""
    from planner.sources import load_estate_file

    if connection.wanted:
        if ref not in (None, "vcenter"):
            from planner.errors import UsageError

            raise UsageError(f"SOURCE {ref} and --server both name the estate; give one of them.")
        snapshot_id = _collect(connection)
        with open_store() as store:
            return _stored(store, str(snapshot_id), "vcenter", policy, settings)
    if ref == "example" or (ref in (None, "latest") and not _store_has_snapshots()):
        if ref != "example":
            err_console.print(safe(EMPTY_STORE_NOTE))
        return _example(policy, settings)
    if names_a_file(ref):
        path = Path(str(ref))
        estate = load_estate_file(path, on_warning=warn)
        kind = "rvtools" if path.is_dir() or path.suffix.lower() in RVTOOLS_SUFFIXES else "snapshot-json"
        return build_plan(estate, PlanSource(kind, path.name, None, estate.collected_at), policy_path=policy,
                          settings=settings)
    with open_store() as store:
        return _stored(store, ref, "store", policy, settings)
