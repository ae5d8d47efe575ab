#!/usr/bin/env bash
# Makes a throwaway CA and certificates for 127.0.0.1 and localhost in DIR, for the TLS and HTTP/2
# tests (and bench-tls.sh): ca.pem (trust this), server.pem/server.key, second.pem/second.key (a
# second certificate, for SIGHUP), expired.pem/expired.key (valid in January 2020 only), and
# other.key (matches none). EC P-256 keys: quick to make and to handshake with.
# Usage: make_test_certs.sh DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: make_test_certs.sh DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj "/CN=sse-serve test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign

cat >server.ext <<'X'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
X
for name in server second; do
  key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=sse-serve $name" -out "$name.csr"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out "$name.pem" 2>/dev/null
done

# Expired: `openssl ca` is the command line's one way to choose the validity dates.
key expired.key
openssl req -new -key expired.key -subj "/CN=sse-serve expired" -out expired.csr
mkdir -p ca-db
: >ca-db/index.txt
echo 1000 >ca-db/serial
cat >ca.cnf <<X
[ca]
default_ca = test_ca
[test_ca]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
X
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200201000000Z -extfile server.ext -notext 2>/dev/null

key other.key
rm -f ./*.csr
