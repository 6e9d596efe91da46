"""Log in to a vCenter and turn transport and API faults into planner's errors."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from planner.errors import (
    AuthenticationError,
    ConnectError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    PlannerError,
    TlsError,
)
from planner.sources.vcenter.settings import ServerSettings
from planner.sources.vcenter.wire_types import MalformedResponse

CONNECT_TIMEOUT = 120
"""Seconds a single request may take before the connection counts as lost."""


def ssl_context(settings: ServerSettings) -> ssl.SSLContext:
    """Verify certificates (system store, or --ca-file) unless the user opted out."""
    if not settings.verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if settings.ca_file is not None:
        if not settings.ca_file.is_file():
            raise NotFoundError(f"the CA file {settings.ca_file} does not exist.")
        try:
            return ssl.create_default_context(cafile=str(settings.ca_file))
        except ssl.SSLError as exc:
            raise InputError(f"the CA file {settings.ca_file} is not a PEM certificate bundle: {exc}.") from exc
    return ssl.create_default_context()


LOGGING_IN = "logging in"


def _lost(where: str, stage: str, exc: BaseException) -> ConnectError:
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return ConnectError(f"the connection to {where} was lost while {stage} ({detail}); nothing was stored.",
                        hint="Check that the vCenter is up and reachable, then collect again.")


@contextmanager
def translate_errors(settings: ServerSettings, stage: str) -> Iterator[None]:
    """Turn what pyVmomi and the socket layer raise into one clear PlannerError."""
    where = settings.address
    logging_in = stage == LOGGING_IN
    try:
        yield
    except ssl.SSLCertVerificationError as exc:
        if "mismatch" in (exc.verify_message or ""):
            hint = (f"The certificate is not issued for {settings.host}: connect with the name it carries (see its "
                    "subject alternative names), or add that name to your DNS.")
        else:
            hint = ("Pass --ca-file with the vCenter's CA certificate, or --insecure to skip verification "
                    "(not recommended).")
        raise TlsError(f"the TLS certificate of {where} could not be verified ({exc.verify_message}).",
                       hint=hint) from exc
    except ssl.SSLError as exc:
        if "WRONG_VERSION_NUMBER" not in str(exc) or not logging_in:
            raise _lost(where, stage, exc) from exc
        raise ConnectError(f"{where} does not speak HTTPS (is it a plain-HTTP port?).",
                           hint="vCenter's API is on HTTPS, port 443 unless changed.") from exc
    except vim.fault.InvalidLogin as exc:
        raise AuthenticationError(f"{where} rejected the user name or password for {settings.user}.") from exc
    except vim.fault.NotAuthenticated as exc:
        raise ConnectError(f"the session to {where} expired or was closed while {stage}; nothing was stored.",
                           hint="Collect again.") from exc
    except vim.fault.NoPermission as exc:
        raise PermissionDeniedError(
            f"{where}: the account {settings.user} lacks the privilege {getattr(exc, 'privilegeId', '?')} "
            f"while {stage}.", hint="Grant it read-only access on the whole inventory, propagated.") from exc
    except (socket.gaierror, ConnectionRefusedError, TimeoutError) as exc:
        if not logging_in:
            raise _lost(where, stage, exc) from exc
        reason = exc.strerror if getattr(exc, "strerror", None) else str(exc) or type(exc).__name__
        raise ConnectError(f"cannot reach {where}: {reason}.",
                           hint="Check the host name, port and network path.") from exc
    except (http.client.HTTPException, ConnectionError, OSError) as exc:
        raise _lost(where, stage, exc) from exc
    except (ParseError, ExpatError, MalformedResponse) as exc:
        raise ConnectError(f"{where} sent a malformed answer while {stage} ({exc}); nothing was stored.",
                           hint="Collect again; if it persists, collect with --parser pyvmomi and report it.") from exc
    except vmodl.MethodFault as exc:
        message = getattr(exc, "msg", "") or type(exc).__name__
        raise ConnectError(f"{where} failed while {stage}: {message}.") from exc


@dataclass
class Connection:
    """A logged-in vSphere API session."""

    settings: ServerSettings
    service_instance: Any
    ssl_context: ssl.SSLContext

    @property
    def content(self) -> Any:
        return self.service_instance.content

    def close(self) -> None:
        with contextlib.suppress(Exception):  # logout is best effort; the session times out anyway
            Disconnect(self.service_instance)


def connect(settings: ServerSettings) -> Connection:
    context = ssl_context(settings)
    password = settings.password.reveal() if settings.password else ""
    try:
        with translate_errors(settings, LOGGING_IN):
            service_instance = SmartConnect(host=settings.host, port=settings.port, user=settings.user or "",
                                            pwd=password, sslContext=context, httpConnectionTimeout=CONNECT_TIMEOUT)
    except PlannerError:
        raise
    except Exception as exc:  # pyVmomi says "host:port is down or is not a VIM server" with a bare Exception
        raise ConnectError(f"{settings.address} did not answer as a vCenter or ESXi API endpoint ({exc}).",
                           hint="Check the host name and port; the vCenter services may also be starting.") from exc
    return Connection(settings, service_instance, context)
