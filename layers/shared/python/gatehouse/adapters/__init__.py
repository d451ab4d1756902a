"""Implementations of the ports: DynamoDB, SES, SNS, KMS on AWS (or moto); in-memory fakes."""

import sys

# Every AWS adapter is in this package, so this runs before botocore is first imported. botocore
# imports urllib3's pyOpenSSL shim whenever pyOpenSSL is importable (the crypto layer's functions)
# only to take back the standard SSLContext the shim saved, at the cost of `OpenSSL.SSL` and
# `cryptography.x509` at every cold start; without the shim it takes that same class from
# `urllib3.util.ssl_`. Nothing here injects pyOpenSSL into urllib3.
sys.modules.setdefault("urllib3.contrib.pyopenssl", None)  # type: ignore[arg-type]
