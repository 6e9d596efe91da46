"""Teardown of what a generation test leaves on the Docker engine: containers, volumes and images it made.

The shared base and stack guest images stay (built once per machine); the images generated from the guests, the
containers verify or a cutover ran from them and the volumes those made go, pass or fail, and
:func:`leftovers` names anything that survived (a CI run once failed because stack guests could not bind their
addresses, and the vfs storage driver filled the disk once).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from planner.automation.view import volume_name
from planner.execute.docker_ops import LABEL as VERIFY_LABEL
from tests.support.stack_guests import LABEL as GUEST_LABEL


def generated_images(folder: Path) -> list[dict[str, Any]]:
    """The images of a generated folder's generate.json (none when generation never got that far)."""
    try:
        return list(json.loads((folder / "generate.json").read_text())["images"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def remove_generated(client: Any, images: list[dict[str, Any]]) -> None:
    """Remove the containers named after the images (a cutover's), their named volumes and the images."""
    for image in images:
        for container in client.containers.list(all=True, filters={"name": f"^{image['name']}$"}):
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
    for container in client.containers.list(all=True, filters={"label": VERIFY_LABEL}):
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)
    for image in images:
        for path in image.get("volumes") or []:
            with contextlib.suppress(Exception):
                client.volumes.get(volume_name(image["name"], str(path))).remove(force=True)
        with contextlib.suppress(Exception):
            client.images.remove(image["tag"], force=True)


def leftovers(client: Any, images: list[dict[str, Any]], since: datetime) -> list[str]:
    """What is still there: guest, verify or cutover containers, named or new dangling volumes, generated images."""
    found = [f"container {c.name}" for label in (GUEST_LABEL, VERIFY_LABEL)
             for c in client.containers.list(all=True, filters={"label": label})]
    names = {image["name"] for image in images}
    found += [f"container {c.name}" for c in client.containers.list(all=True) if c.name in names]
    wanted = {volume_name(image["name"], str(path)) for image in images for path in image.get("volumes") or []}
    found += [f"volume {volume.name}" for volume in client.volumes.list() if volume.name in wanted]
    for volume in client.volumes.list(filters={"dangling": True}):
        created = datetime.fromisoformat(str(volume.attrs.get("CreatedAt", "")).replace("Z", "+00:00"))
        if volume.name not in wanted and created >= since:
            found.append(f"dangling volume {volume.name} (created {created:%H:%M:%S})")
    tags = {tag for image in client.images.list() for tag in image.tags}
    found += [f"image {image['tag']}" for image in images if image["tag"] in tags]
    return found
