#!/usr/bin/env python3
"""End-to-end test of --web.config.file (TLS, client certificates, basic auth).

A CA, two server certificates, a client certificate and a client
certificate of a foreign CA are made with the openssl CLI in a temp dir;
passwords are hashed with bcrypt through libxcrypt. Promethium runs with a
web config requiring verified client certificates and basic auth, and
scrapes a loopback target. Checks, with real clients:
  - curl: no client certificate, a foreign one, and plain HTTP are refused;
    no or wrong credentials get 401 with WWW-Authenticate: Basic; good ones
    reach the API, the UI, /metrics, /federate, remote write and /-/reload,
    with the configured response header; promtool check web-config agrees
    with our loader on a good and a bad file;
  - Prometheus 2.42 scrapes our /federate over TLS with its tls_config and
    basic_auth; the federated series shows in Prometheus's API;
  - certificate reload: new server certificate files are served by the next
    handshake;
  - reload: a bad web config fails /-/reload and keeps the current one; a
    good one (client certificates optional) takes effect, and promtool
    query instant reads the series over https with basic auth;
  - a bad web config at start-up: exit 1 with the reason.
Every wait is bounded; every child is killed on exit.
"""

import argparse
import ctypes
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.parse

from e2e_common import (TestFailure, check, exposition_handler, free_port, loopback_http_server, run_test_with_tools,
                        wait_until)

DEADLINE = 60  # seconds per wait: the machine may be busy
PASSWORD = "correct horse"
TARGET_BODY = b"# TYPE webcfg_test_metric gauge\nwebcfg_test_metric 42\n"


def openssl(tmp, *args):
    subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True, timeout=60)


def make_pki(tmp):
    """ca.*, server.* (CN=promethium-1), server2.* (CN=promethium-2),
    client.* (all by ca) and foreign.* (by another CA)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    with open(os.path.join(tmp, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for ca in ("ca", "foreign-ca"):
        openssl(tmp, "req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2", "-subj", f"/CN={ca}")
    for name, ca, cn, ext in (("server", "ca", "promethium-1", True), ("server2", "ca", "promethium-2", True),
                              ("client", "ca", "client", False), ("foreign", "foreign-ca", "intruder", False)):
        openssl(tmp, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        extra = ["-extfile", "san.ext"] if ext else []
        openssl(tmp, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", *extra)


def bcrypt(password):
    """A $2y$ bcrypt hash (cost 4) through libxcrypt, as htpasswd -B makes."""
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setting = lib.crypt_gensalt(b"$2y$", 4, None, 0)
    return lib.crypt(password.encode(), setting).decode()


def web_yml(client_auth, users):
    lines = ["tls_server_config:", "  cert_file: server.crt", "  key_file: server.key",
             "  client_ca_file: ca.crt", f"  client_auth_type: {client_auth}",
             "http_server_config:", "  headers:", "    X-Frame-Options: deny", "basic_auth_users:"]
    lines += [f"  {user}: '{bcrypt(pw)}'" for user, pw in users.items()]
    return "\n".join(lines) + "\n"


def write(path, text):
    tmp_path = path + ".tmp"
    with open(tmp_path, "w") as f:
        f.write(text)
    os.replace(tmp_path, path)


class Curl:
    def __init__(self, tmp, port):
        self.tmp, self.port = tmp, port

    def run(self, path, user=None, cert="client", method="GET", scheme="https", data=None):
        """(curl exit code, HTTP status or 0, lower-cased header text, body)."""
        hdr = os.path.join(self.tmp, "curl.headers")
        cmd = ["curl", "-sS", "--max-time", "10", "-o", "-", "-D", hdr, "-w", "\n%{http_code}", "-X", method,
               "--cacert", os.path.join(self.tmp, "ca.crt"), f"{scheme}://127.0.0.1:{self.port}{path}"]
        if cert:
            cmd += ["--cert", os.path.join(self.tmp, f"{cert}.crt"), "--key", os.path.join(self.tmp, f"{cert}.key")]
        if user:
            cmd += ["-u", user]
        if data is not None:
            cmd += ["--data-binary", data]
        if os.path.exists(hdr):
            os.remove(hdr)
        out = subprocess.run(cmd, capture_output=True, timeout=30)
        body, _, code = out.stdout.decode("utf-8", "replace").rpartition("\n")
        headers = open(hdr).read().lower() if os.path.exists(hdr) else ""
        return out.returncode, int(code or 0), headers, body


def served_subject_cn(tmp, port):
    """The CN of the certificate a fresh handshake is served (with our client cert)."""
    ctx = ssl.create_default_context(cafile=os.path.join(tmp, "ca.crt"))
    ctx.load_cert_chain(os.path.join(tmp, "client.crt"), os.path.join(tmp, "client.key"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            subject = dict(item[0] for item in tls.getpeercert()["subject"])
    return subject.get("commonName")


def check_access(curl, good, port):
    rc, code, _, _ = curl.run("/-/ready", user=good, cert=None)
    check(rc != 0 and code == 0, f"no client certificate: handshake refused (curl rc {rc})")
    rc, code, _, _ = curl.run("/-/ready", user=good, cert="foreign")
    check(rc != 0 and code == 0, f"client certificate of a foreign CA: refused (curl rc {rc})")
    rc, code, _, _ = curl.run("/-/ready", user=good, scheme="http")
    check(code != 200, f"plain HTTP to the TLS port gets no answer (rc {rc}, status {code})")
    rc, code, headers, _ = curl.run("/-/ready")
    check(code == 401 and "www-authenticate: basic" in headers, f"no credentials: 401 + WWW-Authenticate ({code})")
    check("x-frame-options: deny" in headers, "configured header on the 401")
    code = curl.run("/-/ready", user="alice:wrong")[1]
    check(code == 401, f"wrong password: 401 ({code})")
    code = curl.run("/-/ready", user=f"mallory:{PASSWORD}")[1]
    check(code == 401, f"unknown user: 401 ({code})")
    for path, method, want in (("/-/ready", "GET", 200), ("/metrics", "GET", 200), ("/query", "GET", 200),
                               ("/api/v1/query?query=1", "GET", 200), ("/federate?match[]=up", "GET", 200),
                               ("/api/v1/write", "POST", 400), ("/api/v1/status/config", "GET", 200)):
        rc, code, headers, _ = curl.run(path, method=method, user=good)
        check(code == want, f"{method} {path} with good credentials: {want} (got {code}, curl rc {rc})")
        check(curl.run(path, method=method)[1] == 401, f"{method} {path} without credentials: 401")
    check("x-frame-options: deny" in headers, "configured header on API answers")


def check_prometheus_federates(tmp, procs, prometheus, port):
    prom_port = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    write(cfg, f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: federate
    scheme: https
    metrics_path: /federate
    honor_labels: true
    params:
      'match[]': ['{{job="webcfg_target"}}']
    tls_config:
      ca_file: {tmp}/ca.crt
      cert_file: {tmp}/client.crt
      key_file: {tmp}/client.key
    basic_auth:
      username: alice
      password: '{PASSWORD}'
    static_configs:
      - targets: ['127.0.0.1:{port}']
""")
    procs.start("prometheus", [prometheus, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/prom-data",
                               f"--web.listen-address=127.0.0.1:{prom_port}"])
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": "webcfg_test_metric"})

    def federated():
        out = subprocess.run(["curl", "-sS", "--max-time", "5", url], capture_output=True, timeout=10)
        result = json.loads(out.stdout)["data"]["result"]
        return result and result[0]["value"][1] == "42" and result[0]["metric"].get("job") == "webcfg_target"

    wait_until(DEADLINE, "Prometheus to federate webcfg_test_metric over TLS + basic auth", federated)
    check(True, "Prometheus 2.42 scraped /federate over TLS with client cert and basic auth; series in its API")


def check_reloads(tmp, curl, port, good):
    web = os.path.join(tmp, "web.yml")
    write(web, "basic_auth_users:\n  alice: not-a-hash\n")
    rc, code, _, body = curl.run("/-/reload", method="POST", user=good)
    check(code == 500 and "not a bcrypt hash" in body, f"bad web config: /-/reload fails with the reason ({code} {body!r})")
    check(curl.run("/-/ready", user="alice:wrong")[1] == 401, "after the failed reload auth is still on")
    check(curl.run("/-/ready", user=good)[1] == 200, "after the failed reload good credentials still pass")
    check(curl.run("/-/ready", user=good, cert=None)[0] != 0, "after the failed reload client certs still required")
    write(web, web_yml("VerifyClientCertIfGiven", {"alice": PASSWORD, "bob": "builder"}))
    code = curl.run("/-/reload", method="POST", user=good)[1]
    check(code == 200, f"good web config: /-/reload 200 ({code})")
    check(curl.run("/-/ready", user="bob:builder", cert=None)[1] == 200,
          "after reload: new user bob, client certificate optional")
    check(curl.run("/-/ready", user=good, cert="foreign")[0] != 0, "a given certificate is still verified")


def check_promtool_query(tmp, promtool, port):
    env = dict(os.environ, SSL_CERT_FILE=os.path.join(tmp, "ca.crt"))  # Go's root CAs
    url = f"https://alice:{urllib.parse.quote(PASSWORD)}@127.0.0.1:{port}"
    out = subprocess.run([promtool, "query", "instant", url, "webcfg_test_metric"], capture_output=True,
                         timeout=30, env=env)
    text = out.stdout.decode() + out.stderr.decode()
    check(out.returncode == 0 and "=> 42" in text, f"promtool query instant over https with basic auth: {text!r}")
    bad = subprocess.run([promtool, "query", "instant", f"https://alice:nope@127.0.0.1:{port}", "up"],
                         capture_output=True, timeout=30, env=env)
    check(bad.returncode != 0, "promtool with a wrong password fails")


def check_promtool_agrees(tmp, promtool):
    good = os.path.join(tmp, "web.yml")
    out = subprocess.run([promtool, "check", "web-config", good], capture_output=True, timeout=30)
    check(out.returncode == 0, f"promtool check web-config accepts our test file ({out.stdout!r})")
    bad = os.path.join(tmp, "bad-web.yml")
    write(bad, "http_server_config:\n  headers:\n    Server: promethium\n")
    out = subprocess.run([promtool, "check", "web-config", bad], capture_output=True, timeout=30)
    check(out.returncode != 0, "promtool check web-config refuses a forbidden header too")


def check_bad_start(tmp, procs, promethium, cfg):
    bad = os.path.join(tmp, "bad-web.yml")
    proc = procs.start("promethium-bad", [promethium, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/bad-data",
                                          f"--web.listen-address=127.0.0.1:{free_port()}", f"--web.config.file={bad}"])
    rc = proc.wait(timeout=30)
    log = open(proc.log_path).read()
    check(rc == 1 and "Error loading web config" in log and "can not be configured" in log,
          f"bad web config at start-up: exit 1 with the reason (rc {rc})")


def body(args, tmp, procs):
    make_pki(tmp)
    write(os.path.join(tmp, "web.yml"), web_yml("RequireAndVerifyClientCert", {"alice": PASSWORD}))
    with loopback_http_server(exposition_handler(TARGET_BODY)) as target_port:
        cfg = os.path.join(tmp, "promethium.yml")
        write(cfg, f"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: webcfg_target\n"
                   f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        port = free_port()
        procs.start("promethium", [args.promethium, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                                   f"--web.listen-address=127.0.0.1:{port}", f"--web.config.file={tmp}/web.yml",
                                   "--web.enable-lifecycle", "--web.enable-remote-write-receiver"])
        curl = Curl(tmp, port)
        good = f"alice:{PASSWORD}"
        wait_until(DEADLINE, "promethium ready over TLS", lambda: curl.run("/-/ready", user=good)[1] == 200)
        check_access(curl, good, port)
        check_promtool_agrees(tmp, args.promtool)
        check_prometheus_federates(tmp, procs, args.prometheus, port)

        check(served_subject_cn(tmp, port) == "promethium-1", "first certificate served")
        for ext in ("key", "crt"):  # the key first: the half-replaced pair does not load and is skipped
            shutil.copyfile(os.path.join(tmp, f"server2.{ext}"), os.path.join(tmp, f"server.{ext}.new"))
            os.replace(os.path.join(tmp, f"server.{ext}.new"), os.path.join(tmp, f"server.{ext}"))
        wait_until(DEADLINE, "the new certificate on a new handshake",
                   lambda: served_subject_cn(tmp, port) == "promethium-2")
        check(True, "certificate files replaced: the next handshake serves the new certificate")
        check(curl.run("/-/ready", user=good)[1] == 200, "curl verifies the new certificate")

        check_reloads(tmp, curl, port, good)
        check_promtool_query(tmp, args.promtool, port)
        check_bad_start(tmp, procs, args.promethium, cfg)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--promethium", required=True)
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--prometheus", required=True)
    args = parser.parse_args()
    tools = [("promethium", args.promethium), ("promtool", args.promtool), ("prometheus", args.prometheus),
             ("curl", shutil.which("curl")), ("openssl", shutil.which("openssl"))]
    return run_test_with_tools(tools, "web_config_test.", lambda tmp, procs: body(args, tmp, procs))


if __name__ == "__main__":
    sys.exit(main())
