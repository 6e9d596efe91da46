"""The base-image policy file: strict, with errors naming the file and the key path."""

from __future__ import annotations

import pytest

from planner.errors import InputError, NotFoundError
from planner.generate_policy import load_base_image_policy

DIGEST = "sha256:" + "0f" * 32


def _write(tmp_path, text):
    path = tmp_path / "base-images.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mappings_tags_and_digests(tmp_path):
    policy = load_base_image_policy(_write(tmp_path, f"""
runtime_images: true
images:
  debian:bookworm-slim: registry.example.com:5000/mirror/debian:bookworm-slim
  python:3.11-slim: {{image: registry.example.com/python:3.11-slim, digest: "{DIGEST}"}}
"""))
    assert policy.runtime_images is True
    assert policy.resolve("debian:bookworm-slim") == ("registry.example.com:5000/mirror/debian:bookworm-slim", True)
    assert policy.resolve("python:3.11-slim") == (f"registry.example.com/python:3.11-slim@{DIGEST}", True)
    assert policy.resolve("ubuntu:22.04") == ("ubuntu:22.04", False)


@pytest.mark.parametrize(("text", "message"), [
    ("images:\n  debian:bookworm-slim: Not An Image\n",
     "images.debian:bookworm-slim.image: 'Not An Image' is not an image reference"),
    ("images:\n  debian:bookworm-slim: registry.example.com/debian\n", "is not an image reference with a tag"),
    ("images:\n  debian:bookworm-slim: {image: x/y:1, digest: sha256:abc}\n",
     "images.debian:bookworm-slim.digest: 'sha256:abc' is not a digest"),
    ("images:\n  Debian:12: x/y:1\n", "images: 'Debian:12' is not an image reference"),
    ("runtime_image: true\n", "runtime_image: unknown key"),
    ("require_mapping: perhaps\n", "require_mapping: must be a valid boolean"),
    ("- a\n- b\n", "(top level): must be a mapping"),
    ("images: [\n", "not valid YAML"),
])
def test_bad_policies_name_file_and_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_base_image_policy(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_missing_policy_file(tmp_path):
    with pytest.raises(NotFoundError, match=r"base-image policy file .* does not exist"):
        load_base_image_policy(tmp_path / "nope.yaml")


def test_empty_policy_is_the_default(tmp_path):
    policy = load_base_image_policy(_write(tmp_path, ""))
    assert policy.images == {} and policy.runtime_images is False
