# pki-lab's Python client (src/clients/probe.py): one HTTPS GET with the `ssl` module or requests.
# usage: probe.py ssl|requests URL HOST PORT CA CERT|- KEY|- [CRL...]
# prints "accepted" or "refused", then a short code, then the full message.
import socket
import ssl
import sys

mode, url, host, port, ca, cert, key, *crls = sys.argv[1:]
cert = None if cert == "-" else cert
key = None if key == "-" else key


def code_of(e):
    """OpenSSL's verify code, the SSL reason, or the exception type: requests wraps the ssl error
    in urllib3's, in args, reason, __cause__ or __context__."""
    todo, seen = [e], []
    while todo:
        x = todo.pop(0)
        if x is None or any(x is s for s in seen):
            continue
        seen.append(x)
        if isinstance(x, ssl.SSLCertVerificationError):
            return str(x.verify_code)
        if isinstance(x, ssl.SSLError) and x.reason:
            return x.reason
        todo += [a for a in getattr(x, "args", ()) if isinstance(a, BaseException)]
        todo += [getattr(x, "reason", None) if isinstance(getattr(x, "reason", None), BaseException) else None]
        todo += [x.__cause__, x.__context__]
    return type(e).__name__


def with_ssl():
    ctx = ssl.create_default_context(cafile=ca)
    for crl in crls:
        ctx.load_verify_locations(crl)
    if crls:
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if cert:
        ctx.load_cert_chain(cert, key)
    with socket.create_connection((host, int(port)), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    return answer.split(b"\r\n", 1)[0].decode()


def with_requests():
    import requests

    r = requests.get(url, verify=ca, cert=(cert, key) if cert else None, timeout=20)
    return f"HTTP {r.status_code}"


try:
    status = with_ssl() if mode == "ssl" else with_requests()
    print("accepted" if "200" in status else "refused")
    print("ok" if "200" in status else "NoAnswer")
    print(status)
except ModuleNotFoundError as e:  # requests is not installed: not an outcome
    print(e)
except Exception as e:  # every failure is an outcome to report
    print("refused")
    print(code_of(e))
    print(f"{type(e).__name__}: {e}")
