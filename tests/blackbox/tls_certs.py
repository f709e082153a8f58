"""Throw-away certificate authorities and server certificates for TLS tests, made with the
openssl command line (Debian's openssl package)."""

import os
import subprocess


def _openssl(*args):
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise AssertionError("openssl %s failed: %s" % (" ".join(args), proc.stderr))


def make_key(directory, name):
    """A lone EC private key; returns its path."""
    key = os.path.join(directory, name + ".key")
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-out", key)
    return key


def make_ca(directory, name):
    """A self-signed CA; returns (cert_path, key_path)."""
    cert = os.path.join(directory, name + "-ca.pem")
    key = os.path.join(directory, name + "-ca.key")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def issue(directory, name, ca, subject_alt_names):
    """A server certificate signed by `ca` (cert, key) for names like "IP:127.0.0.1" or
    "DNS:localhost"; returns (cert_path, key_path)."""
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + ".key")
    request = os.path.join(directory, name + ".csr")
    extensions = os.path.join(directory, name + ".ext")
    with open(extensions, "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % ",".join(subject_alt_names))
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", request, "-subj", "/CN=" + name)
    _openssl("x509", "-req", "-in", request, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
             "-out", cert, "-days", "2", "-extfile", extensions)
    return cert, key
