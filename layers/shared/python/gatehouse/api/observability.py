"""Logger and Metrics, made once; secrets never reach a log.

Handlers never log bodies; the redacting filter is the second line of defence for anything that
slips into a log record's extras or message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = "gatehouse"

_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|code|credential|authorization|cookie|otp|recovery", re.I)
_INLINE = re.compile(
    r"(?i)((?:password|secret|token|code|cookie|authorization|flow_id|state)[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&]+)"
)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("[redacted]" if _SECRET_KEYS.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _INLINE.sub(r"\1[redacted]", value)
    return value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = tuple(redact(a) for a in record.args) if isinstance(record.args, tuple) else record.args
        for key in list(vars(record)):
            if _SECRET_KEYS.search(key) and key not in ("msg", "args"):
                setattr(record, key, "[redacted]")
        return True


logger = Logger(service=SERVICE)
logger.addFilter(RedactingFilter())
metrics = Metrics(namespace="Gatehouse", service=SERVICE)
