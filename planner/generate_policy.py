"""The base-image policy: which registry (and digest) each logical base image comes from (docs/generate.md).

```yaml
runtime_images: false        # true: official runtime images (python:3.11-slim…) instead of the VM's distribution
require_mapping: false       # true: every base image must be mapped here (an unmapped one is an error)
images:
  debian:bookworm-slim: registry.example.com/mirror/debian:bookworm-slim
  python:3.11-slim: {image: registry.example.com/python:3.11-slim, digest: "sha256:<64 hex>"}
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator, model_validator

from planner.errors import InputError
from planner.models.base import Model
from planner.validation import problems, read_yaml

_REPOSITORY = r"([a-z0-9.-]+(:\d{1,5})?/)?[a-z0-9][a-z0-9._/-]*"
IMAGE_REF = re.compile(rf"^{_REPOSITORY}(:[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})(@sha256:[0-9a-f]{{64}})?$"
                       rf"|^{_REPOSITORY}@sha256:[0-9a-f]{{64}}$")
"""A reference with a tag and/or a digest (hadolint DL3006: never an untagged image); lower-case repository."""
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _check_ref(value: str) -> str:
    if not IMAGE_REF.fullmatch(value):
        raise ValueError(f"{value!r} is not an image reference with a tag (registry/name:tag[@sha256:…])")
    return value


class ImageMapping(Model):
    """Where one logical image comes from; a plain string in the file is the ``image``."""

    image: str
    digest: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"image": value} if isinstance(value, str) else value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_ref(value)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is not None and not DIGEST.fullmatch(value):
            raise ValueError(f"{value!r} is not a digest (sha256: and 64 hex digits)")
        return value

    def reference(self) -> str:
        if self.digest and "@" not in self.image:
            return f"{self.image}@{self.digest}"
        return self.image


class BaseImagePolicy(Model):
    """Logical base image -> the reference to build FROM."""

    runtime_images: bool = False
    require_mapping: bool = False
    images: dict[str, ImageMapping] = {}

    @field_validator("images")
    @classmethod
    def _images(cls, value: dict[str, ImageMapping]) -> dict[str, ImageMapping]:
        for logical in value:
            _check_ref(logical)
        return value

    def resolve(self, logical: str, origin: str = "the base-image policy") -> tuple[str, bool]:
        """(reference, mapped?) for a logical image; unmapped under ``require_mapping`` is an ``InputError``."""
        target = self.images.get(logical)
        if target is None:
            if self.require_mapping:
                raise InputError(f"{origin}: images: no mapping for base image {logical!r} (require_mapping is on)",
                                 hint=f"Add `{logical}: REGISTRY/IMAGE:TAG` under images.")
            return logical, False
        return target.reference(), True


def load_base_image_policy(path: Path | None) -> BaseImagePolicy:
    """The policy in ``path`` (strict: unknown keys and bad references are errors naming file and key path)."""
    if path is None:
        return BaseImagePolicy()
    data = read_yaml(path, "base-image policy")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: (top level): must be a mapping")
    try:
        return BaseImagePolicy.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{path}: {problems(exc)}") from exc
