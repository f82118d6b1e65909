#!/usr/bin/env bash
# make_certs.sh DIR: test certificates, made fresh by the TLS tests.
#   ca1, ca2: two certificate authorities
#   n1, n2, client: signed by ca1;  rogue: signed by ca2
set -euo pipefail
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
for ca in ca1 ca2; do
  key $ca
  openssl req -x509 -new -key $ca.key -out $ca.pem -days 2 -subj "/CN=$ca" 2>/dev/null
done
sign() {
  key "$1"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
    -out "$1.pem" -days 2 2>/dev/null
}
sign n1 ca1
sign n2 ca1
sign client ca1
sign mallory ca1
sign rogue ca2
echo certificates made
