"""The detector vocabulary: the base class every stack detector extends, checked when the class is defined.

A detector is a small class: ``id`` (lower-case slug, also the image-name suffix), ``title``, a one-line docstring
(its summary), ``evidence_hint`` (what it looks for, for the generated docs) and a pure ``detect(guest, vm)`` that
yields :class:`~planner.models.generation.Detection` objects carrying their evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from planner.models import Vm
from planner.models.discovery import GuestDiscovery
from planner.models.generation import Detection

DETECTOR_ID = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


class Detector:
    """Base class of every stack detector. Subclasses set the metadata and implement ``detect``.

    ``fallback`` detectors only keep detections for processes no other detector claimed.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    looks_for: ClassVar[str]
    fallback: ClassVar[bool] = False
    summary: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        validate_detector_class(cls)
        cls.summary = (cls.__doc__ or "").strip()

    def detect(self, guest: GuestDiscovery, vm: Vm | None) -> Iterator[Detection]:
        """Yield a :class:`Detection` per instance of the stack running on the guest."""
        raise NotImplementedError


def validate_detector_class(cls: type) -> None:
    """Raise ``TypeError`` naming the class and the problem if its metadata is incomplete or invalid."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    detector_id = getattr(cls, "id", None)
    if not isinstance(detector_id, str) or not DETECTOR_ID.fullmatch(detector_id):
        raise TypeError(f"{name}: id must be a lower-case slug like 'nginx' or 'python-wsgi', got {detector_id!r}")
    for attribute in ("title", "looks_for"):
        value = getattr(cls, attribute, None)
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise TypeError(f"{name} ({detector_id}): needs a one-line {attribute}")
    doc = (cls.__doc__ or "").strip()
    if not doc or "\n" in doc:
        raise TypeError(f"{name} ({detector_id}): needs a one-line docstring (its summary)")
    if getattr(cls, "detect", None) is Detector.detect:
        raise TypeError(f"{name} ({detector_id}): must implement detect(guest, vm)")
