"""The explicit detector registry: the shipped catalogue, in the order detectors run (fallbacks last)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from planner.detect.base import Detector, validate_detector_class


class DetectorRegistry:
    """Detector classes by id, in registration order; duplicate ids are refused."""

    def __init__(self, detectors: Iterable[type[Detector]] = ()) -> None:
        self._detectors: dict[str, type[Detector]] = {}
        for detector in detectors:
            self.register(detector)

    def register(self, detector: type[Detector]) -> type[Detector]:
        if not (isinstance(detector, type) and issubclass(detector, Detector)):
            raise TypeError(f"{detector!r} is not a Detector subclass")
        validate_detector_class(detector)
        if detector.id in self._detectors and self._detectors[detector.id] is not detector:
            raise ValueError(f"duplicate detector id {detector.id}")
        self._detectors[detector.id] = detector
        return detector

    def __iter__(self) -> Iterator[type[Detector]]:
        return iter(sorted(self._detectors.values(), key=lambda d: d.fallback))

    def __len__(self) -> int:
        return len(self._detectors)

    def __contains__(self, detector_id: object) -> bool:
        return detector_id in self._detectors

    def get(self, detector_id: str) -> type[Detector]:
        return self._detectors[detector_id]

    def ids(self) -> list[str]:
        return [detector.id for detector in self]


def builtin_registry() -> DetectorRegistry:
    """The shipped catalogue."""
    from planner.detect.stacks import BUILTIN_DETECTORS

    return DetectorRegistry(BUILTIN_DETECTORS)
